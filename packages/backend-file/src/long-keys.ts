import fs from "node:fs";
import path from "node:path";
import { isAbsent, openNoFollow, READ_FLAGS, replaceFile } from "./fs-utils";
import { realDirectory } from "./real-dirs";

/**
 * Keys whose file name is shortened with a hash (see key-encoding) are kept in `.meta/keys/<file
 * name>`, so that a rebuild of the index from the files can name them again.
 */
export class LongKeys {
  private checked = false;

  constructor(
    private readonly metaDir: string,
    private readonly keysDir: string,
    private readonly tempFile: () => string,
    private readonly fsync: boolean,
  ) {}

  /** Records `key` for the file `name` (under the directory lock). */
  write(name: string, key: string): void {
    if (this.read(name) === key) return;
    const write = () => replaceFile(this.tempFile(), path.join(this.keysDir, name), key, this.fsync);
    this.ready(true);
    try {
      write();
    } catch (error) {
      if (!isAbsent(error)) throw error;
      // `keys/` was removed by hand since it was checked.
      this.checked = false;
      this.ready(true);
      write();
    }
  }

  read(name: string): string | undefined {
    if (!this.ready(false)) return undefined;
    const fd = openNoFollow(path.join(this.keysDir, name), READ_FLAGS, "read the long key in");
    if (fd === undefined) return undefined;
    try {
      return fs.readFileSync(fd, "utf8");
    } finally {
      fs.closeSync(fd);
    }
  }

  remove(name: string): void {
    if (!this.ready(false)) return;
    fs.rmSync(path.join(this.keysDir, name), { force: true });
  }

  /** `.meta` was made again, or replaced: check `keys/` again before the next write into it. */
  forgetChecks(): void {
    this.checked = false;
  }

  /** `keys/` is a real directory inside `.meta` (made when `create`); false when it does not exist. */
  private ready(create: boolean): boolean {
    if (this.checked) return true;
    this.checked = realDirectory(this.metaDir, this.keysDir, { create, fsync: this.fsync }) !== undefined;
    return this.checked;
  }
}
