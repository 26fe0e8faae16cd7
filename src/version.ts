/** bale's version, written into every archive's index. Keep in step with package.json. */
export const VERSION = "0.3.0";
