// The lab's `istioctl proxy-config endpoints`, as a program: connects to an istiod the way the
// sidecar of a given pod does (its node metadata taken from the real injected pod), asks for the
// clusters and their endpoints like Envoy, and prints the endpoints of one cluster as JSON.
// Built by scripts/real-tools/build.sh against Istio's own client packages (istio.io/istio/pkg/adsc)
// of the module the charts come from.
//
//	xds-client -xds 10.244.101.3:15010 -node node.json -cluster 'outbound|5000||helloworld.sample.svc.cluster.local'
//
// node.json: {"ip": "...", "workload": "...", "namespace": "...", "metadata": {...}}.
// Prints {"cluster": "...", "endpoints": [{"address", "port", "weight", "tlsMode", "network"}]}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"istio.io/istio/pkg/adsc"
	"istio.io/istio/pkg/log"
	v3 "istio.io/istio/pilot/pkg/xds/v3"
)

type node struct {
	IP        string         `json:"ip"`
	Workload  string         `json:"workload"`
	Namespace string         `json:"namespace"`
	Metadata  map[string]any `json:"metadata"`
}

type endpointOut struct {
	Address string `json:"address"`
	Port    uint32 `json:"port"`
	Weight  uint32 `json:"weight"`
	TLSMode string `json:"tlsMode"`
	Network string `json:"network"`
}

func main() {
	xds := flag.String("xds", "", "istiod's plaintext xDS address (host:15010)")
	nodeFile := flag.String("node", "", "the proxy's identity and metadata (JSON)")
	clusterName := flag.String("cluster", "", "the Envoy cluster whose endpoints to print")
	timeout := flag.Duration("timeout", 60*time.Second, "how long to wait for istiod's answer")
	flag.Parse()
	// Istio's packages log to stdout by default: stdout is the answer here.
	logging := log.DefaultOptions()
	logging.OutputPaths = []string{"stderr"}
	if err := log.Configure(logging); err != nil {
		fmt.Fprintf(os.Stderr, "xds-client: %v\n", err)
		os.Exit(1)
	}
	if err := run(*xds, *nodeFile, *clusterName, *timeout); err != nil {
		fmt.Fprintf(os.Stderr, "xds-client: %v\n", err)
		os.Exit(1)
	}
}

func run(xds, nodeFile, clusterName string, timeout time.Duration) error {
	raw, err := os.ReadFile(nodeFile)
	if err != nil {
		return err
	}
	var n node
	if err := json.Unmarshal(raw, &n); err != nil {
		return fmt.Errorf("%s: %v", nodeFile, err)
	}
	meta, err := structpb.NewStruct(n.Metadata)
	if err != nil {
		return fmt.Errorf("node metadata: %v", err)
	}
	client, err := adsc.New(xds, &adsc.ADSConfig{
		Config: adsc.Config{
			ClientName: "xds-client",
			Namespace:  n.Namespace,
			Workload:   n.Workload,
			IP:         n.IP,
			Meta:       meta,
		},
		// As Envoy starts: clusters first; the client then asks for the endpoints of each EDS cluster.
		InitialDiscoveryRequests: []*discovery.DiscoveryRequest{{TypeUrl: v3.ClusterType}},
	})
	if err != nil {
		return fmt.Errorf("connecting to %s: %v", xds, err)
	}
	defer client.Close()
	if err := client.Run(); err != nil {
		return err
	}
	if _, err := client.Wait(timeout, v3.ClusterType, v3.EndpointType); err != nil {
		return fmt.Errorf("waiting for istiod at %s: %v", xds, err)
	}
	assignment, found := client.GetEndpoints()[clusterName]
	if !found {
		known := []string{}
		for name := range client.GetEdsClusters() {
			known = append(known, name)
		}
		sort.Strings(known)
		return fmt.Errorf("istiod sent no endpoints for %s (EDS clusters: %v)", clusterName, known)
	}
	out := []endpointOut{}
	for _, locality := range assignment.Endpoints {
		for _, lb := range locality.LbEndpoints {
			socket := lb.GetEndpoint().GetAddress().GetSocketAddress()
			e := endpointOut{Address: socket.GetAddress(), Port: socket.GetPortValue(), Weight: lb.GetLoadBalancingWeight().GetValue()}
			if m := lb.GetMetadata().GetFilterMetadata()["envoy.transport_socket_match"]; m != nil {
				e.TLSMode = m.GetFields()["tlsMode"].GetStringValue()
			}
			if m := lb.GetMetadata().GetFilterMetadata()["istio"]; m != nil {
				e.Network = m.GetFields()["network"].GetStringValue()
			}
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"cluster": clusterName, "endpoints": out})
}
