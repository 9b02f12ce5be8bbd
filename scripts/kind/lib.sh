#!/usr/bin/env bash
# Helpers shared by the kind scripts. Sourced, not run.

log() { printf '[kind-test] %s\n' "$*" >&2; }

die() {
  log "FAIL: $*"
  exit 1
}

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is required (helm and kubectl: make tools; kind and docker: install them)"
  done
}

# port_forward NAMESPACE SERVICE LOCAL_PORT REMOTE_PORT: start a kubectl port-forward in the
# background, remember its pid in PF_PIDS, and wait until the local port answers.
PF_PIDS=()
port_forward() {
  local ns=$1 svc=$2 local_port=$3 remote_port=$4 i
  kubectl -n "$ns" port-forward "svc/$svc" "$local_port:$remote_port" >/dev/null 2>&1 &
  PF_PIDS+=("$!")
  for i in $(seq 1 30); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$local_port") 2>/dev/null; then
      return 0
    fi
    log "waiting for port-forward $svc -> :$local_port ($i)"
    sleep 1
  done
  die "port-forward to $svc did not open :$local_port"
}

stop_port_forwards() {
  local pid
  for pid in "${PF_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  PF_PIDS=()
}
