import { GreeterConfig } from "bale:schemas";
import { base } from "../../shared/base";

export default GreeterConfig({
  ...base,
  env: "dev",
  port: 8080,
  shout: false,
});
