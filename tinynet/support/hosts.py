"""Which Host headers name this computer: the DNS-rebinding guard of the two local web servers
(the draw page, tinynet/draw.py, and the live view of training, tinynet/live.py)."""

import ipaddress


def loopback_host(host_header):
    """True for a Host header that is a loopback name: localhost, 127.x.x.x or [::1], with or
    without a port, or none at all (HTTP/1.0 clients need not send one). A web page elsewhere
    cannot then reach a server on 127.0.0.1 through a DNS name that points there."""
    host = (host_header or "").strip()
    if not host:
        return True
    if host.startswith("["):
        name = host[1:].split("]", 1)[0]
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
