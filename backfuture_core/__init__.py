"""BackFuture core: all logic of the dashboard. Never imports Streamlit."""

__version__ = "0.1.0"
