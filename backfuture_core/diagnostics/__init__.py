"""The connection test, one module per step; import from the concrete module.

- `probes`: ask the exchange everything at once (`probe`, `Probes`).
- `checks`: pure, the answers as the permission checklist (`build_checks`, `overall_status`,
  `error_category`, `CLOCK_TOLERANCE_MS`).
- `run`: run one or several tests and make their reports (`run`, `run_async`, `run_each`,
  `run_many`, `make_report`, `failure_report`, `failure_message`).
- `saved`: test saved connections, each isolated: keys loaded, tested, report saved
  (`run_saved`, `Outcome`).
- `reports`: reports in storage and as JSON (`save_report`, `report_history`, `latest_report`,
  `report_json`, `report_from_dict`).
"""
