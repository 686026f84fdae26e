/** The text src/generated/errno.ts should have, from the host headers and glibc. */
export function generate(): string;
