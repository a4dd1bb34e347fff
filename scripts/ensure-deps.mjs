// Lets `npm test` and `npm run up` work on a fresh clone: installs the locked dependencies once.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

if (!existsSync(new URL("../node_modules/.package-lock.json", import.meta.url))) {
    console.error("node_modules missing: running npm ci");
    execSync("npm ci", { stdio: "inherit", cwd: new URL("..", import.meta.url) });
}
