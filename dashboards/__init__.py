"""midoffice dashboards: the Streamlit app."""
