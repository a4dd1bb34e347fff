// Revision tags as the program's own MutatingWebhookConfigurations, one per tag, not inside an
// istiod release: a tag moves from one revision to another, and Helm cannot move an object between
// releases. The webhooks are those of the istiod chart's revision-tags-mwc.yaml (1.31); the istiod
// of the revision in the `istio.io/rev` label fills in their caBundle (its webhook patcher selects
// by that label and by the `sidecar-injector.istio.io` name suffix).
import { ISTIO_NAMESPACE } from "./istio";
import { RevisionTag } from "./revisions";

const NOT_DISABLED = { key: "sidecar.istio.io/inject", operator: "NotIn", values: ["false"] };
const absent = (key: string) => ({ key, operator: "DoesNotExist" });
const oneOf = (key: string, value: string) => ({ key, operator: "In", values: [value] });

function webhook(prefix: string, revision: string, namespaceSelector: object[], objectSelector: object[]) {
    return {
        name: `${prefix}sidecar-injector.istio.io`,
        clientConfig: { service: { name: `istiod-${revision}`, namespace: ISTIO_NAMESPACE, path: "/inject", port: 443 } },
        sideEffects: "None",
        rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
        failurePolicy: "Fail",
        reinvocationPolicy: "Never",
        admissionReviewVersions: ["v1"],
        namespaceSelector: { matchExpressions: namespaceSelector },
        objectSelector: { matchExpressions: objectSelector },
    };
}

export function revisionTagName(tag: RevisionTag): string {
    return `istio-revision-tag-${tag}`;
}

/** The tag's webhook configuration: `istio.io/rev=<tag>` namespaces and pods; for `default` also `istio-injection=enabled`. */
export function revisionTagWebhooks(tag: RevisionTag, revision: string): Record<string, any> {
    const webhooks = [
        webhook("rev.namespace.", revision, [oneOf("istio.io/rev", tag), absent("istio-injection")], [NOT_DISABLED]),
        webhook("rev.object.", revision, [absent("istio.io/rev"), absent("istio-injection")], [NOT_DISABLED, oneOf("istio.io/rev", tag)]),
    ];
    if (tag === "default") {
        webhooks.push(
            webhook("namespace.", revision, [oneOf("istio-injection", "enabled")], [NOT_DISABLED]),
            webhook(
                "object.",
                revision,
                [absent("istio-injection"), absent("istio.io/rev")],
                [oneOf("sidecar.istio.io/inject", "true"), absent("istio.io/rev")],
            ),
        );
    }
    return {
        metadata: {
            name: revisionTagName(tag),
            labels: { "istio.io/tag": tag, "istio.io/rev": revision, app: "sidecar-injector", "app.kubernetes.io/name": "istiod" },
        },
        webhooks,
    };
}
