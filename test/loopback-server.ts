// An HTTP server on 127.0.0.1 (the only network the tests use), standing in for a chart repository.
import { IncomingMessage, ServerResponse, createServer } from "node:http";
import { AddressInfo } from "node:net";

export async function loopbackServer(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close: () => void }> {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
