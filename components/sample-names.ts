// Where the sample applications live, shared by the program and `npm run verify` (which does not
// load Pulumi): namespace `sample` is injected by the default tag, `sample-canary` by the canary's.
export const SAMPLE_NAMESPACE = "sample";
export const CANARY_SAMPLE_NAMESPACE = "sample-canary";
export const HELLOWORLD_PORT = 5000;
