// Serves the files of one folder over HTTP on 127.0.0.1 (a port of its own) and prints its URL and
// its PID: the tier's Helm chart repository, started inside the test network.
//   node test/real-clusters/static-server.mjs FOLDER
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import * as path from "node:path";

const root = path.resolve(process.argv[2]);
const server = createServer((req, res) => {
    const file = path.join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
    let ok = file.startsWith(root + path.sep);
    try {
        ok &&= statSync(file).isFile();
    } catch {
        ok = false;
    }
    if (!ok) {
        res.writeHead(404).end("not found\n");
        return;
    }
    res.writeHead(200, { "content-type": file.endsWith(".yaml") ? "text/yaml" : "application/gzip" });
    createReadStream(file).pipe(res);
});
server.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${server.address().port} ${process.pid}`));
