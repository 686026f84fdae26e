/** The text src/generated/syscalls.ts should have, from the host header. */
export function generate(): string;
