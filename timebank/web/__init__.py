"""Server-rendered pages for volunteers, elders and their families, stations and admins."""
