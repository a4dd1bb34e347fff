module istio-multicluster.local/api-stub

go 1.22
