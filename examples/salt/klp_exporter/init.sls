{#-
  klp_exporter on SUSE Manager / Uyuni clients: install the prometheus-klp_exporter RPM (from a channel the
  systems are subscribed to), write ARGS= in its sysconfig file, and enable the service, the way SUSE Manager's
  prometheus-exporters formula configures node_exporter.

  Pillar (all optional):
    klp_exporter:
      mode: service              # service (serve :10055) | textfile (node_exporter textfile collector timer)
      args: "--web.listen-address=:10055 --collector.klp.cve-info"
      textfile_args: ""          # ARGS for the textfile run

  Apply: assign the state to a system group in SUSE Manager ("Configuration Channels", a state channel holding
  this file as init.sls), or `salt 'sles*' state.apply klp_exporter`.
-#}
{%- set klp = salt['pillar.get']('klp_exporter', {}) %}
{%- set mode = klp.get('mode', 'service') %}
{%- set args = klp.get('args', '--web.listen-address=:10055') %}
{%- set textfile_args = klp.get('textfile_args', '') %}
{#- ARGS="..." is read by systemd and may be sourced by shell tools: no quote, $, backquote or backslash in it. #}
{%- macro sysconfig_value(v) -%}
"{{ v | replace('"', '') | replace('$', '') | replace('`', '') | replace('\\', '') }}"
{%- endmacro %}

klp_exporter_package:
  pkg.installed:
    - name: prometheus-klp_exporter

klp_exporter_sysconfig:
  file.keyvalue:
    - name: /etc/sysconfig/prometheus-klp_exporter
    - key: ARGS
    - value: {{ sysconfig_value(args) | tojson }}
    - separator: '='
    - append_if_not_found: true
    - require:
      - pkg: klp_exporter_package

klp_exporter_textfile_sysconfig:
  file.keyvalue:
    - name: /etc/sysconfig/prometheus-klp_exporter-textfile
    - key: ARGS
    - value: {{ sysconfig_value(textfile_args) | tojson }}
    - separator: '='
    - append_if_not_found: true
    - require:
      - pkg: klp_exporter_package

{%- if mode == 'textfile' %}

klp_exporter_service:
  service.dead:
    - name: prometheus-klp_exporter.service
    - enable: false
    - require:
      - pkg: klp_exporter_package

klp_exporter_textfile_timer:
  service.running:
    - name: prometheus-klp_exporter-textfile.timer
    - enable: true
    - require:
      - file: klp_exporter_textfile_sysconfig
{%- else %}

klp_exporter_service:
  service.running:
    - name: prometheus-klp_exporter.service
    - enable: true
    - watch:
      - pkg: klp_exporter_package
      - file: klp_exporter_sysconfig

klp_exporter_textfile_timer:
  service.dead:
    - name: prometheus-klp_exporter-textfile.timer
    - enable: false
    - require:
      - pkg: klp_exporter_package
{%- endif %}
