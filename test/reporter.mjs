// node --test reporter: a line per test, the failures in full, and closing lines that give the
// counts and name every failed and skipped test, so nobody has to scroll the output.
const indent = (text, pad = "    ") => String(text).split("\n").map((l) => pad + l).join("\n");

export default async function* reporter(source) {
    const failed = [];
    const skipped = new Map(); // reason -> test names
    let passed = 0;
    for await (const event of source) {
        const { type, data } = event;
        if (type === "test:stdout" || type === "test:stderr") {
            const text = data.message.trimEnd();
            if (text) yield `${indent(text, "# ")}\n`;
        } else if (type === "test:pass" && data.nesting === 0 && !data.details?.type) {
            if (data.skip !== undefined) {
                const reason = typeof data.skip === "string" ? data.skip : "skipped";
                skipped.set(reason, [...(skipped.get(reason) ?? []), data.name]);
                yield `ok - ${data.name} # SKIP ${typeof data.skip === "string" ? data.skip : ""}\n`;
            } else {
                passed++;
                yield `ok - ${data.name}\n`;
            }
        } else if (type === "test:fail" && data.nesting === 0) {
            const where = data.file ? ` (${data.file.split("/").slice(-2).join("/")})` : "";
            failed.push(`${data.name}${where}`);
            const error = data.details?.error;
            const cause = error?.cause ?? error;
            yield `not ok - ${data.name}${where}\n${indent(cause?.stack ?? cause?.message ?? String(cause))}\n`;
        }
    }
    yield "\n";
    if (failed.length > 0) yield `failed:\n${failed.map((f) => `  - ${f}`).join("\n")}\n`;
    for (const [reason, names] of skipped) yield `skipped, ${reason}:\n${names.map((n) => `  - ${n}`).join("\n")}\n`;
    const skips = [...skipped.values()].flat().length;
    yield `# tests ${passed + failed.length + skips}\n# pass ${passed}\n# fail ${failed.length}\n# skipped ${skips}\n`;
    yield `${passed} passed, ${failed.length} failed, ${skips} skipped\n`;
}
