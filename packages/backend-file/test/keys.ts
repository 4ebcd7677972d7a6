/** Core's rules for keys (packages/core/README.md, "Entries, limits and behaviour"). */
export function isValidKey(key: string): boolean {
  return key.length > 0 && [...key].length <= 512 && !/[\u0000-\u001f\u007f]/.test(key) && key.isWellFormed();
}
