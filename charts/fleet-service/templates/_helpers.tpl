{{/* Names and labels. Every helper is prefixed `fleet.`; helpers of the umbrella chart use
`fleet.umbrella.` so the two never collide (named templates are global across a release). */}}

{{- define "fleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "fleet.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "fleet.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The full name of another fleet service of this release (a declared peer). */}}
{{- define "fleet.peerFullname" -}}
{{- printf "%s-%s" .root.Release.Name .peer | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "fleet.serviceName" -}}
{{- required "serviceName is required: the Python package of the service (identity, avatars, social)" .Values.serviceName -}}
{{- end -}}

{{- define "fleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "fleet.labels" -}}
{{ include "fleet.selectorLabels" . }}
app.kubernetes.io/part-of: fleet
app.kubernetes.io/component: service
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Image reference: repository@digest when a digest is set, else repository:tag. */}}
{{- define "fleet.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- end -}}

{{- define "fleet.databaseSecret" -}}
{{- required "database.existingSecret is required: a Secret holding the service's PostgreSQL DSN" (tpl .Values.database.existingSecret .) -}}
{{- end -}}

{{/* The most pods that can exist at once: HPA max (or replicas) plus the rollout surge. */}}
{{- define "fleet.maxPods" -}}
{{- $max := ternary .Values.autoscaling.maxReplicas .Values.replicas .Values.autoscaling.enabled -}}
{{- add $max .Values.rollout.maxSurge -}}
{{- end -}}

{{/* The service account of the service's pods: the chart's own (named after the release), or the
one named in values; with neither, the namespace's `default`. */}}
{{- define "fleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "fleet.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The service account of the migration hook Job, apart from the service's own. */}}
{{- define "fleet.migrateServiceAccountName" -}}
{{- $sa := .Values.migrations.serviceAccount -}}
{{- if $sa.create -}}
{{- default (printf "%s-migrate" (include "fleet.fullname" .)) $sa.name -}}
{{- else -}}
{{- default "default" $sa.name -}}
{{- end -}}
{{- end -}}

{{/* Labels of the service's pods: the chart's labels, plus `podLabels` (the chart's win; the
schema also refuses the selector keys, so a Service or PDB can never lose its pods). */}}
{{- define "fleet.podLabels" -}}
{{- toYaml (merge (fromYaml (include "fleet.labels" .)) .Values.podLabels) -}}
{{- end -}}
