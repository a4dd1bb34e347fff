// npm run verify [-- --calls N] [--contexts istio-1,istio-2,istio-3] [--stack dev] [--json] [--help]
// From the sleep pod of every cluster: calls helloworld K times, shows who answered and which
// endpoints the sidecar knows; exits 0 only when discovery is complete and traffic crossed clusters.
import { execFileSync } from "child_process";
import { existsSync } from "fs";
import { homedir } from "os";
import * as path from "path";
import { kubectlTransport } from "./verify/kubectl";
import { formatVerdict } from "./verify/logic";
import { verify } from "./verify/run";
import { parseFlags, usageError } from "./cli";

const USAGE = `Usage: npm run verify -- [options]

Calls helloworld from the sleep pod of every cluster, shows who answered and which endpoints the
sidecar knows; exits 0 when discovery is complete and traffic crossed clusters, 1 when not.

Options:
  --calls N            exactly N calls per cluster (default: call until every cluster and version
                       answered, at most as many as keep a false FAIL of a healthy mesh below 0.1%)
  --contexts a,b,...   kube contexts to check (default: the stack's outputs, else istio-1..3)
  --stack NAME         the stack whose outputs name the contexts (default $STACK or dev)
  --json               the verdict as JSON
  -h, --help           this text
`;

function parseOptions(argv: string[]) {
    const flags = parseFlags(argv, USAGE, {
        calls: { type: "string" },
        contexts: { type: "string" },
        stack: { type: "string" },
        json: { type: "boolean" },
    });
    const calls = flags.calls === undefined ? undefined : Number(flags.calls);
    if (calls !== undefined && (!/^\d+$/.test(flags.calls!) || calls < 1))
        usageError(USAGE, `--calls must be a whole number >= 1 (got ${flags.calls})`);
    const contexts = flags.contexts
        ?.split(",")
        .map((c) => c.trim())
        .filter(Boolean);
    if (contexts?.length === 0) usageError(USAGE, `--contexts needs at least one context name (got "${flags.contexts}")`);
    return { calls, contexts, json: flags.json ?? false, stack: flags.stack ?? process.env.STACK ?? "dev" };
}

/** The environment `npm run up` uses: its backend and its generated passphrase, unless you set your own. */
function pulumiEnv(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    env.PULUMI_BACKEND_URL ??= `file://${path.join(homedir(), ".pulumi-istio-multicluster")}`;
    const passphraseFile = path.join(process.env.XDG_CONFIG_HOME ?? path.join(homedir(), ".config"), "istio-multicluster", "passphrase");
    if (env.PULUMI_CONFIG_PASSPHRASE === undefined && !env.PULUMI_CONFIG_PASSPHRASE_FILE && existsSync(passphraseFile)) {
        env.PULUMI_CONFIG_PASSPHRASE_FILE = passphraseFile;
    }
    return env;
}

/** The mesh's contexts from the stack's outputs; the lab's three when there is no stack to read. */
function contextsFromStack(stack: string): string[] {
    try {
        const out = execFileSync("pulumi", ["stack", "output", "clusters", "--json", "--stack", stack], {
            encoding: "utf8",
            env: pulumiEnv(),
            stdio: ["ignore", "pipe", "ignore"],
        });
        const clusters = JSON.parse(out) as { context: string }[];
        if (Array.isArray(clusters) && clusters.length > 0) return clusters.map((c) => c.context);
    } catch {
        // no pulumi CLI or no stack: fall back to the lab's contexts
    }
    console.error("verify: no stack outputs to read (pulumi stack output clusters); using the lab's contexts istio-1..3");
    return ["istio-1", "istio-2", "istio-3"];
}

async function main() {
    const options = parseOptions(process.argv.slice(2));
    const contexts = options.contexts ?? contextsFromStack(options.stack);
    const tty = process.stderr.isTTY;
    const progress = (message: string) => {
        if (tty) process.stderr.write(`\r\x1b[K… ${message}`);
        else process.stderr.write(`… ${message}\n`);
    };
    const result = await verify(kubectlTransport, { contexts, calls: options.calls, progress });
    if (tty) process.stderr.write("\r\x1b[K");
    console.log(options.json ? JSON.stringify(result, null, 2) : formatVerdict(result));
    process.exitCode = result.ok ? 0 : 1;
}

main().catch((error) => {
    console.error(`verify: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
});
