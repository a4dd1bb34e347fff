// Where the bytes of a stack's state go: `pulumi stack export`, broken down by resource type and
// by the properties that weigh most. The bench prints it with --breakdown.

export interface TypeShare {
    type: string;
    count: number;
    /** Bytes of the resources' JSON (compact), inputs and outputs together. */
    bytes: number;
}

export interface PropertyShare {
    /** "type inputs.name" or "type outputs.name". */
    property: string;
    bytes: number;
}

export interface StateBreakdown {
    resources: number;
    byType: TypeShare[];
    heaviest: PropertyShare[];
}

const size = (value: unknown) => JSON.stringify(value ?? null).length;

export function stateBreakdown(exportText: string, heaviest = 12): StateBreakdown {
    const resources: any[] = JSON.parse(exportText).deployment?.resources ?? [];
    const types = new Map<string, TypeShare>();
    const properties = new Map<string, number>();
    for (const resource of resources) {
        const share = types.get(resource.type) ?? { type: resource.type, count: 0, bytes: 0 };
        share.count++;
        share.bytes += size(resource);
        types.set(resource.type, share);
        for (const side of ["inputs", "outputs"] as const) {
            for (const [key, value] of Object.entries(resource[side] ?? {})) {
                const property = `${resource.type} ${side}.${key}`;
                properties.set(property, (properties.get(property) ?? 0) + size(value));
            }
        }
    }
    return {
        resources: resources.length,
        byType: [...types.values()].sort((a, b) => b.bytes - a.bytes),
        heaviest: [...properties.entries()]
            .map(([property, bytes]) => ({ property, bytes }))
            .sort((a, b) => b.bytes - a.bytes)
            .slice(0, heaviest),
    };
}

export function formatBreakdown(breakdown: StateBreakdown): string[] {
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    return [
        ...breakdown.byType.map((t) => `    ${t.type.padEnd(58)} ${String(t.count).padStart(5)}  ${kb(t.bytes).padStart(10)}`),
        "    heaviest properties:",
        ...breakdown.heaviest.map((p) => `    ${p.property.padEnd(70)} ${kb(p.bytes).padStart(10)}`),
    ];
}
