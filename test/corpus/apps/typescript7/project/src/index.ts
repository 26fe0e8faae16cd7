export function area(r: number): number {
  return Math.PI * r * r;
}
const bad: string = area(2);
export default bad;
