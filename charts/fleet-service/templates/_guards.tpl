{{/* Rendering guards: configurations that would fail in production fail `helm template` instead. */}}

{{/* Pool budget: every pod that can exist at once (HPA max or replicas, plus the rollout surge)
runs `granian.workers` processes, each with a pool of up to DB_POOL_MAX_SIZE connections; one
more connection is kept for a migration run. That total must fit the service's share of the
database's max_connections. */}}
{{- define "fleet.guardPoolBudget" -}}
{{- $pods := include "fleet.maxPods" . | int64 -}}
{{- $workers := .Values.granian.workers | int64 -}}
{{- $pool := .Values.settings.dbPoolMaxSize | int64 -}}
{{- $need := add (mul $pods $workers $pool) 1 -}}
{{- $budget := .Values.database.connectionBudget | int64 -}}
{{- if gt $need $budget -}}
{{- fail (printf "pool budget exceeded for %s: %d pods (max replicas + surge) x %d workers x %d DB_POOL_MAX_SIZE + 1 migration = %d connections > database.connectionBudget %d; lower autoscaling.maxReplicas/replicas, granian.workers or settings.dbPoolMaxSize, or raise the budget" (include "fleet.fullname" .) $pods $workers $pool $need $budget) -}}
{{- end -}}
{{- end -}}

{{- define "fleet.guardPoolMin" -}}
{{- if gt (.Values.settings.dbPoolMinSize | int64) (.Values.settings.dbPoolMaxSize | int64) -}}
{{- fail (printf "settings.dbPoolMinSize=%v exceeds settings.dbPoolMaxSize=%v" .Values.settings.dbPoolMinSize .Values.settings.dbPoolMaxSize) -}}
{{- end -}}
{{- end -}}

{{- define "fleet.guardMigrations" -}}
{{- if and (eq .Values.migrations.mode "hook") (not .Values.database.existingSecret) -}}
{{- fail "migrations.mode=hook needs database.existingSecret created outside the release (hooks run before the release's own objects exist)" -}}
{{- end -}}
{{- end -}}

{{- define "fleet.guardAutoscaling" -}}
{{- if and .Values.autoscaling.enabled (gt (.Values.autoscaling.minReplicas | int64) (.Values.autoscaling.maxReplicas | int64)) -}}
{{- fail (printf "autoscaling.minReplicas=%v exceeds autoscaling.maxReplicas=%v" .Values.autoscaling.minReplicas .Values.autoscaling.maxReplicas) -}}
{{- end -}}
{{- end -}}

{{- define "fleet.guardRoutes" -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.hosts) -}}
{{- fail "ingress.enabled needs at least one entry in ingress.hosts" -}}
{{- end -}}
{{- if and .Values.httpRoute.enabled (not .Values.httpRoute.parentRefs) -}}
{{- fail "httpRoute.enabled needs at least one Gateway in httpRoute.parentRefs" -}}
{{- end -}}
{{- end -}}

{{/* extraEnv adds variables; it never replaces one the chart sets (a second entry of the same
name would silently win over the chart's, for example DATABASE_URL_FILE). */}}
{{- define "fleet.guardExtraEnv" -}}
{{- $chart := list -}}
{{- range (include "fleet.chartEnv" . | fromYamlArray) -}}
{{- $chart = append $chart .name -}}
{{- end -}}
{{- range .Values.extraEnv -}}
{{- if has .name $chart -}}
{{- fail (printf "extraEnv sets %s, which the chart sets itself; use settings or serviceSettings (or the chart's own value) instead" .name) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Extra pod labels never replace the labels that Services, PDBs, NetworkPolicies and spread
constraints select pods by. */}}
{{- define "fleet.guardPodLabels" -}}
{{- range $where, $labels := dict "podLabels" .Values.podLabels "migrations.podLabels" .Values.migrations.podLabels -}}
{{- range $key := list "app.kubernetes.io/name" "app.kubernetes.io/instance" "app.kubernetes.io/component" -}}
{{- if hasKey $labels $key -}}
{{- fail (printf "%s may not set %s: the chart selects its pods by it" $where $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Every extra mount names a volume of the pod (an extra one or the chart's own), so the
mistake fails `helm lint` instead of the API server refusing the Deployment. */}}
{{- define "fleet.guardExtraMounts" -}}
{{- $volumes := list -}}
{{- range (include "fleet.volumes" . | fromYamlArray) -}}
{{- $volumes = append $volumes .name -}}
{{- end -}}
{{- range .Values.extraVolumeMounts -}}
{{- if not (has .name $volumes) -}}
{{- fail (printf "extraVolumeMounts mounts %s, which is not a volume of the pod; add it to extraVolumes (volumes: %s)" .name (join ", " $volumes)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A memory quantity of the schema's forms (bytes, m, Ki, Mi, Gi) in MiB, as a float. */}}
{{- define "fleet.memoryMiB" -}}
{{- $q := toString . -}}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $q | float64 -}}
{{- $unit := trimPrefix (regexFind "^[0-9]+(\\.[0-9]+)?" $q) $q -}}
{{- $perMiB := dict "Ki" 0.0009765625 "Mi" 1.0 "Gi" 1024.0 "m" 0.00000000095367431640625 "" 0.00000095367431640625 -}}
{{- mulf $number (get $perMiB $unit) -}}
{{- end -}}

{{/* Memory budget: every worker holds its baseline plus the memory-heavy work it bounds itself
(identity: IDENTITY_PASSWORD_HASH_CONCURRENCY argon2id hashes of 64 MiB each). That must fit the
container's memory limit, or the kernel OOM-kills the pod under load. */}}
{{- define "fleet.guardMemoryBudget" -}}
{{- $budget := .Values.memoryBudget -}}
{{- if gt ($budget.workerBaselineMiB | int64) 0 -}}
{{- $limit := dig "limits" "memory" "" .Values.resources -}}
{{- if not $limit -}}
{{- fail (printf "memoryBudget for %s needs resources.limits.memory (set memoryBudget.workerBaselineMiB=0 to opt out)" (include "fleet.fullname" .)) -}}
{{- end -}}
{{- $work := 0 -}}
{{- $terms := list -}}
{{- range $budget.boundedWork -}}
{{- if not (hasKey $.Values.serviceSettings .setting) -}}
{{- fail (printf "memoryBudget.boundedWork counts %s, which serviceSettings does not set" .setting) -}}
{{- end -}}
{{- $slots := get $.Values.serviceSettings .setting | int64 -}}
{{- $work = add $work (mul $slots (.mibEach | int64)) -}}
{{- $terms = append $terms (printf "%d %s x %d MiB" $slots .setting (.mibEach | int64)) -}}
{{- end -}}
{{- $workers := .Values.granian.workers | int64 -}}
{{- $need := mul $workers (add ($budget.workerBaselineMiB | int64) $work) -}}
{{- $limitMiB := include "fleet.memoryMiB" $limit | float64 -}}
{{- if gt (float64 $need) $limitMiB -}}
{{- fail (printf "memory budget exceeded for %s: %d workers x (%d MiB baseline + %s) = %d MiB > resources.limits.memory %v (%.0f MiB); raise the limit or lower the bounded work" (include "fleet.fullname" .) $workers ($budget.workerBaselineMiB | int64) (default "no bounded work" (join " + " $terms)) $need $limit $limitMiB) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "fleet.guards" -}}
{{- include "fleet.guardExtraMounts" . -}}
{{- include "fleet.guardPodLabels" . -}}
{{- include "fleet.guardExtraEnv" . -}}
{{- include "fleet.guardRoutes" . -}}
{{- include "fleet.guardPoolBudget" . -}}
{{- include "fleet.guardPoolMin" . -}}
{{- include "fleet.guardMigrations" . -}}
{{- include "fleet.guardAutoscaling" . -}}
{{- include "fleet.guardMemoryBudget" . -}}
{{- end -}}
