export const x = 21;
