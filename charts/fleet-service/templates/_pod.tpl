{{/* Pod parts shared by the Deployment, the migration Job and the smoke-test Pod. */}}

{{/* A number as an environment value: whole floats print as integers (YAML numbers arrive as
float64, and `toString` would print 100000 as 1e+05, which the settings decoder rejects). */}}
{{- define "fleet.envValue" -}}
{{- $v := .value -}}
{{- if kindIs "float64" $v -}}
{{- if eq (float64 (int64 $v)) $v -}}{{ int64 $v }}{{- else -}}{{ $v }}{{- end -}}
{{- else if kindIs "string" $v -}}
{{- tpl $v .root -}}
{{- else -}}
{{- toString $v -}}
{{- end -}}
{{- end -}}

{{/* Seconds of the kit's shutdown budget (drain delay + SHUTDOWN_TIMEOUT_S), rounded up. */}}
{{- define "fleet.shutdownSeconds" -}}
{{- ceil (addf .Values.settings.shutdownTimeoutS .Values.settings.shutdownDrainDelayS) | int64 -}}
{{- end -}}

{{/* Least grace period that fits: preStop sleep + Granian drain + SHUTDOWN_TIMEOUT_S + margin. */}}
{{- define "fleet.minGraceSeconds" -}}
{{- $s := .Values.shutdown -}}
{{- add $s.preStopSleepSeconds .Values.granian.drainSeconds (include "fleet.shutdownSeconds" .) $s.marginSeconds -}}
{{- end -}}

{{/* terminationGracePeriodSeconds: derived, or the explicit value if it is not too low. */}}
{{- define "fleet.graceSeconds" -}}
{{- $min := include "fleet.minGraceSeconds" . | int64 -}}
{{- $set := .Values.shutdown.terminationGracePeriodSeconds | int64 -}}
{{- if eq $set 0 -}}
{{- $min -}}
{{- else if lt $set $min -}}
{{- fail (printf "shutdown.terminationGracePeriodSeconds=%d is below the %d s that shutdown needs (preStop %v + drain %v + SHUTDOWN_TIMEOUT_S %v + margin %v); raise it or set 0 to derive it" $set $min .Values.shutdown.preStopSleepSeconds .Values.granian.drainSeconds (include "fleet.shutdownSeconds" .) .Values.shutdown.marginSeconds) -}}
{{- else -}}
{{- $set -}}
{{- end -}}
{{- end -}}

{{- define "fleet.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.security.runAsUser }}
runAsGroup: {{ .Values.security.runAsGroup }}
fsGroup: {{ .Values.security.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "fleet.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.security.runAsUser }}
runAsGroup: {{ .Values.security.runAsGroup }}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Environment of the service container. Secrets arrive as files (DATABASE_URL_FILE). */}}
{{- define "fleet.env" -}}
- name: SERVICE_NAME
  value: {{ include "fleet.serviceName" . | quote }}
- name: SERVICE_VERSION
  value: {{ .Values.image.tag | quote }}
- name: DATABASE_URL_FILE
  value: /var/run/secrets/fleet/database/{{ .Values.database.secretKey }}
{{- range $key, $value := .Values.settings }}
- name: {{ $key | snakecase | upper }}
  value: {{ include "fleet.envValue" (dict "value" $value "root" $) | quote }}
{{- end }}
{{- range $key, $value := .Values.serviceSettings }}
- name: {{ $key }}
  value: {{ include "fleet.envValue" (dict "value" $value "root" $) | quote }}
{{- end }}
{{- if .Values.signingKeys.existingSecret }}
- name: IDENTITY_SIGNING_KEYS_DIR
  value: {{ .Values.signingKeys.mountPath | quote }}
{{- end }}
{{ include "fleet.granianEnv" . }}
{{ include "fleet.otelResourceEnv" . }}
{{- end -}}

{{/* Granian reads GRANIAN_<OPTION> for each CLI option itself (click auto_envvar_prefix). */}}
{{- define "fleet.granianEnv" -}}
{{- $g := .Values.granian -}}
- name: GRANIAN_HOST
  value: "0.0.0.0"
- name: GRANIAN_PORT
  value: "8000"
- name: GRANIAN_WORKERS
  value: {{ $g.workers | quote }}
- name: GRANIAN_HTTP1_KEEP_ALIVE
  value: {{ $g.http1KeepAlive | quote }}
- name: GRANIAN_HTTP1_HEADER_READ_TIMEOUT
  value: {{ $g.http1HeaderReadTimeoutMs | quote }}
- name: GRANIAN_HTTP1_BUFFER_SIZE
  value: {{ $g.http1BufferSize | quote }}
- name: GRANIAN_BACKLOG
  value: {{ $g.backlog | quote }}
- name: GRANIAN_BACKPRESSURE
  value: {{ $g.backpressure | quote }}
- name: GRANIAN_WORKERS_KILL_TIMEOUT
  value: {{ add $g.drainSeconds (include "fleet.shutdownSeconds" .) | quote }}
- name: GRANIAN_LOG_ACCESS_ENABLED
  value: {{ $g.accessLog | quote }}
{{- end -}}

{{/* Kubernetes resource attributes for traces, from the downward API. The K8S_* variables exist
only to be expanded into OTEL_RESOURCE_ATTRIBUTES, which the OpenTelemetry SDK reads. */}}
{{- define "fleet.otelResourceEnv" -}}
- name: K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: K8S_NAMESPACE_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: K8S_NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
- name: K8S_POD_UID
  valueFrom:
    fieldRef:
      fieldPath: metadata.uid
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.pod.name=$(K8S_POD_NAME),k8s.namespace.name=$(K8S_NAMESPACE_NAME),k8s.node.name=$(K8S_NODE_NAME),k8s.pod.uid=$(K8S_POD_UID),k8s.deployment.name={{ include "fleet.fullname" . }}"
{{- end -}}

{{- define "fleet.volumeMounts" -}}
- name: database-url
  mountPath: /var/run/secrets/fleet/database
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- if .Values.signingKeys.existingSecret }}
- name: signing-keys
  mountPath: {{ .Values.signingKeys.mountPath }}
  readOnly: true
{{- end }}
{{- end -}}

{{- define "fleet.volumes" -}}
- name: database-url
  secret:
    secretName: {{ include "fleet.databaseSecret" . }}
    defaultMode: 0440
    items:
      - key: {{ .Values.database.secretKey }}
        path: {{ .Values.database.secretKey }}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 16Mi
{{- if .Values.signingKeys.existingSecret }}
- name: signing-keys
  secret:
    secretName: {{ tpl .Values.signingKeys.existingSecret . }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{/* The migrate container: same image, environment, mounts and hardening as the service, so
`python -m <svc> migrate` decodes the same settings the service does. */}}
{{- define "fleet.migrateContainer" -}}
- name: migrate
  image: {{ include "fleet.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["python", "-m", {{ include "fleet.serviceName" . | quote }}, "migrate"]
  env:
    {{- include "fleet.env" . | nindent 4 }}
  securityContext:
    {{- include "fleet.containerSecurityContext" . | nindent 4 }}
  resources:
    {{- toYaml .Values.migrations.resources | nindent 4 }}
  volumeMounts:
    {{- include "fleet.volumeMounts" . | nindent 4 }}
{{- end -}}
