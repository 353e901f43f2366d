"""Reports of checked certificates: Markdown, HTML, JSON and figures."""
