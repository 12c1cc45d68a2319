"""The web application for the people outside (`atende web`): event
participants and company representatives. A thin layer over services, like
the screens: each view reads the request, calls a service, renders a
template (autoescaped: user text is never markup). `create_app` builds it."""
