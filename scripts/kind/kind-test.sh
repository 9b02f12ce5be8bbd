#!/usr/bin/env bash
# make kind-test: the fleet on a real (kind) cluster, end to end.
#
#  1. create a kind cluster from tests/kind/cluster.yaml
#  2. build the images (make images IMAGE_PREFIX=fleet IMAGE_TAG=kind) and load them into kind
#  3. install the fleet with charts/fleet/values-kind.yaml into a namespace that enforces the
#     restricted Pod Security level; wait for the rollout; run `helm test`
#  4. run tests/e2e against the fleet (port-forwards), then assert a social -> avatars trace
#     reached Jaeger and each service's request and pool metrics reached Prometheus
#  5. restart avatars under in-cluster load: zero failed requests
#  6. scale avatars to 3 and back to 1
#  7. on failure export logs to $KIND_ARTIFACTS; always delete the cluster (unless KIND_KEEP=1)
#
# Environment: KIND_CLUSTER (fleet-kind), KIND_KEEP=1 keeps the cluster, KIND_SKIP_BUILD=1 uses
# images already built, KIND_ARTIFACTS (.tools/kind-logs), KIND_LOAD_SECONDS (90).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/kind/lib.sh
source scripts/kind/lib.sh

CLUSTER=${KIND_CLUSTER:-fleet-kind}
NS=fleet
RELEASE=fleet
ARTIFACTS=${KIND_ARTIFACTS:-.tools/kind-logs}
LOAD_SECONDS=${KIND_LOAD_SECONDS:-90}
SERVICES=(identity avatars social)

need docker kind helm kubectl uv

on_exit() {
  local status=$?
  stop_port_forwards
  if [[ $status -ne 0 ]]; then
    log "failed (exit $status): exporting logs to $ARTIFACTS"
    mkdir -p "$ARTIFACTS"
    kubectl -n "$NS" get all,networkpolicy,events -o wide >"$ARTIFACTS/resources.txt" 2>&1 || true
    kubectl -n "$NS" describe pods >"$ARTIFACTS/pods.txt" 2>&1 || true
    kind export logs "$ARTIFACTS/kind" --name "$CLUSTER" >/dev/null 2>&1 || true
  fi
  if [[ ${KIND_KEEP:-0} != 1 ]]; then
    kind delete cluster --name "$CLUSTER" || true
  fi
  exit "$status"
}
trap on_exit EXIT

log "1/7 cluster $CLUSTER"
if ! kind get clusters | grep -qx "$CLUSTER"; then
  kind create cluster --name "$CLUSTER" --config tests/kind/cluster.yaml --wait 180s
fi
kubectl config use-context "kind-$CLUSTER"

log "2/7 images"
if [[ ${KIND_SKIP_BUILD:-0} != 1 ]]; then
  make images IMAGE_PREFIX=fleet IMAGE_TAG=kind
fi
for svc in "${SERVICES[@]}"; do
  kind load docker-image "fleet/$svc:kind" --name "$CLUSTER"
done

log "3/7 install into namespace $NS (Pod Security: restricted)"
kubectl apply -f tests/kind/namespace.yaml
helm dependency build charts/fleet
helm upgrade --install "$RELEASE" charts/fleet -n "$NS" -f charts/fleet/values-kind.yaml \
  --wait --timeout 10m
for svc in "${SERVICES[@]}"; do
  kubectl -n "$NS" rollout status "deployment/$RELEASE-$svc" --timeout 5m
done
helm test "$RELEASE" -n "$NS" --logs --timeout 5m

log "4/7 e2e, traces and metrics"
port_forward "$NS" "$RELEASE-identity" 18001 8000
port_forward "$NS" "$RELEASE-avatars" 18002 8000
port_forward "$NS" "$RELEASE-social" 18003 8000
port_forward "$NS" "$RELEASE-jaeger" 16686 16686
port_forward "$NS" "$RELEASE-prometheus" 19090 9090
FLEET_IDENTITY_URL=http://127.0.0.1:18001 FLEET_AVATARS_URL=http://127.0.0.1:18002 \
  FLEET_SOCIAL_URL=http://127.0.0.1:18003 uv run --frozen pytest tests/e2e -p no:xdist
uv run --frozen python scripts/kind/check_observability.py \
  --jaeger http://127.0.0.1:16686 --prometheus http://127.0.0.1:19090 --release "$RELEASE"
stop_port_forwards

log "5/7 restart avatars under load (${LOAD_SECONDS}s)"
scripts/kind/restart-under-load.sh "$NS" "$RELEASE" avatars "$LOAD_SECONDS"

log "6/7 scale avatars to 3 and back"
kubectl -n "$NS" scale "deployment/$RELEASE-avatars" --replicas 3
kubectl -n "$NS" rollout status "deployment/$RELEASE-avatars" --timeout 5m
ready=$(kubectl -n "$NS" get "deployment/$RELEASE-avatars" -o jsonpath='{.status.readyReplicas}')
[[ $ready == 3 ]] || die "avatars has $ready ready pods, expected 3"
kubectl -n "$NS" scale "deployment/$RELEASE-avatars" --replicas 1
kubectl -n "$NS" rollout status "deployment/$RELEASE-avatars" --timeout 5m
for _ in $(seq 1 60); do
  pods=$(kubectl -n "$NS" get pods -l "app.kubernetes.io/name=avatars,app.kubernetes.io/instance=$RELEASE" \
    --no-headers | wc -l)
  [[ $pods -eq 1 ]] && break
  sleep 2
done
[[ $pods -eq 1 ]] || die "avatars still has $pods pods after scaling back to 1"

log "7/7 passed"
