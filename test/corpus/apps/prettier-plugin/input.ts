// Only here so that prettier finds .prettierrc.json for this path.
export {};
