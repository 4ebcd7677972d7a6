import { backendErrors } from "@store/core/backend";
import { FILE_BACKEND_NAME } from "./options";

/** Every error of this backend: its messages start with `file: `. */
export const errors = backendErrors(FILE_BACKEND_NAME);

/**
 * A symbolic link where the backend keeps its own files or directories. Nothing is read or written
 * through it: a link planted inside the root must not lead a read, a write or a delete outside it.
 */
export function linkRefused(file: string, doing: string) {
  return errors.error(
    "BACKEND_IO",
    `refusing to ${doing} ${file}: it is a symbolic link, and the file backend never follows links below its root (remove the link; to keep stores elsewhere, set the \`root\` option)`,
    { details: { path: file, link: true } },
  );
}

/** Something other than a directory (or a regular file) where the backend expects one. */
export function notADirectory(file: string) {
  return errors.error(
    "BACKEND_IO",
    `${file} is not a directory; the file backend keeps a store's entries there`,
    {
      details: { path: file },
    },
  );
}
