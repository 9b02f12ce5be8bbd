#!/usr/bin/env bash
# restart-under-load.sh NAMESPACE RELEASE SERVICE SECONDS
#
# Runs tests/kind/load.py in a pod inside the cluster (so requests go through the Service and its
# endpoints, as real traffic does; a port-forward would pin one pod), restarts the service's
# Deployment while it runs, and fails unless every request succeeded. The load pod carries the
# smoke-test labels, which the service's NetworkPolicy admits, and is hardened for the
# namespace's restricted Pod Security level.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/kind/lib.sh
source scripts/kind/lib.sh

ns=$1 release=$2 svc=$3 seconds=$4
pod="$release-$svc-load"
image=$(kubectl -n "$ns" get "deployment/$release-$svc" \
  -o jsonpath="{.spec.template.spec.containers[?(@.name=='$svc')].image}")
# A public route that answers without a token or data (401/404 are answers, not failures).
url="http://$release-$svc:8000/v1/$svc/00000000-0000-7000-8000-000000000000"

kubectl -n "$ns" delete pod "$pod" --ignore-not-found --wait
kubectl -n "$ns" create configmap "$pod" --from-file=load.py=tests/kind/load.py \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$ns" apply -f - <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $pod
  labels:
    app.kubernetes.io/name: $svc-load
    app.kubernetes.io/instance: $release
    app.kubernetes.io/component: smoke-test
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: load
      image: $image
      imagePullPolicy: Never
      command: [python, /load/load.py, "$url", "$seconds", "8"]
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
      volumeMounts:
        - {name: load, mountPath: /load, readOnly: true}
  volumes:
    - name: load
      configMap: {name: $pod}
YAML
kubectl -n "$ns" wait "pod/$pod" --for=condition=Ready --timeout 2m
sleep 5
kubectl -n "$ns" rollout restart "deployment/$release-$svc"
kubectl -n "$ns" rollout status "deployment/$release-$svc" --timeout 5m
kubectl -n "$ns" wait "pod/$pod" --for=jsonpath='{.status.phase}'=Succeeded \
  --timeout "$((seconds + 60))s" || true
kubectl -n "$ns" logs "pod/$pod"
phase=$(kubectl -n "$ns" get "pod/$pod" -o jsonpath='{.status.phase}')
kubectl -n "$ns" delete pod "$pod" --wait=false
kubectl -n "$ns" delete configmap "$pod"
[[ $phase == Succeeded ]] || die "requests failed while $svc restarted (load pod: $phase)"
log "$svc restarted under load with zero failed requests"
