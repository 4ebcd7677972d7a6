import { backendErrors } from "@store/core/backend";
import { REDIS_BACKEND_NAME } from "./options";

/** Every error of this backend: its message starts with `redis: `. */
export const errors = backendErrors(REDIS_BACKEND_NAME);
