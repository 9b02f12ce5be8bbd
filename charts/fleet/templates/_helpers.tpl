{{/* Helpers of the umbrella chart. Prefixed `fleet.umbrella.` so they never collide with the
generic chart's `fleet.` helpers (named templates are shared by every chart of a release). */}}

{{/* The three services, in dependency order. */}}
{{- define "fleet.umbrella.services" -}}
identity avatars social
{{- end -}}

{{- define "fleet.umbrella.name" -}}
{{- printf "%s-%s" .root.Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "fleet.umbrella.selectorLabels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: dev-{{ .component }}
{{- end -}}

{{- define "fleet.umbrella.labels" -}}
{{ include "fleet.umbrella.selectorLabels" . }}
app.kubernetes.io/part-of: fleet
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "fleet.umbrella.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsUser }}
fsGroup: {{ .runAsUser }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "fleet.umbrella.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsUser }}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* A generated secret value that survives upgrades: reuse the live Secret's key if present. */}}
{{- define "fleet.umbrella.stableSecret" -}}
{{- $live := lookup "v1" "Secret" .root.Release.Namespace .name -}}
{{- if and $live (hasKey $live.data .key) -}}
{{- index $live.data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum 32 -}}
{{- end -}}
{{- end -}}

{{/* PostgreSQL role password of one service, stable across upgrades. */}}
{{- define "fleet.umbrella.rolePassword" -}}
{{- include "fleet.umbrella.stableSecret" (dict "root" .root "name" (include "fleet.umbrella.name" (dict "root" .root "component" "postgresql")) "key" (printf "%s-password" .service)) -}}
{{- end -}}
