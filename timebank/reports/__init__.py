"""Read-only reports over the other domains: the admin dashboards."""
