// Small helpers shared by the fleet demo and the fleet bench (both start their own etcd on loopback).
import { get } from "node:http";
import { createServer } from "node:net";

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });

/** True when the etcd member at `url` answers its /health endpoint with health "true". */
export const healthy = (url) =>
  new Promise((resolve) => {
    const req = get(url + "/health", { timeout: 1000 }, (res) => {
      let b = "";
      res.on("data", (c) => (b += c));
      res.on("end", () => resolve(res.statusCode === 200 && b.includes('"true"')));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
