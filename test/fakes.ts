// Fake kind/docker executables first on PATH for the preflight tests (versions, a daemon that is
// down), with a private KUBECONFIG and HOME; the real kubectl. The host-side tier uses the real
// engine and kind instead (test/docker-host.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { tempDir } from "./temp";

const FAKES = path.join(__dirname, "fakes");

export interface FakeHost {
    dir: string;
    kubeconfig: string;
    env: NodeJS.ProcessEnv;
}

export function fakeHost(extraEnv: Record<string, string> = {}): FakeHost {
    const dir = tempDir("istio-mc");
    const kubeconfig = path.join(dir, "kube", "config");
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${FAKES}:${process.env.PATH}`, KUBECONFIG: kubeconfig, HOME: dir, ...extraEnv };
    return { dir, kubeconfig, env };
}

export function writeFile(file: string, content: string): void {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
}
