# Example pillar for the klp_exporter state (init.sls).
klp_exporter:
  mode: service
  args: "--web.listen-address=:10055 --collector.klp.cve-info --log.format=json"
