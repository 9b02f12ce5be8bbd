# The cluster tier (issues 17 and 18): two replicas of every service as local processes, each
# service behind a real HAProxy with active /readyz checks, clients on distinct loopback addresses.
# The e2e suite runs through the proxies; rolling restarts run under load, with and without uvloop.

.PHONY: test-cluster
test-cluster: ## Multi-replica topology behind HAProxy: e2e through the proxy, rolling restarts with 0 failed requests.
	@command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { \
	  echo "test-cluster needs HAProxy 2.4 or newer (apt-get install haproxy, brew install haproxy)"; exit 1; }
	$(PYTEST) tests/cluster -p no:xdist

TEST_TARGETS += test-cluster
