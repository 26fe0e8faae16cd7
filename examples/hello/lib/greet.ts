export function greet(greeting: string, args: readonly string[]): string {
  return `${greeting} (${args.length} argument${args.length === 1 ? "" : "s"})`;
}
