# Python zeroconf as a peer of the mDNS channel, run in a network namespace by the test.
# (Not named zeroconf.py: Python would import this file for the module of that name.)
#   zeroconf-peer.py browse ADDRESS            prints one JSON line per _trucada._tcp instance added or removed
#   zeroconf-peer.py publish ADDRESS JSON-TXT  publishes an instance; unregisters (goodbye) when stdin closes
import json
import sys

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

TYPE = "_trucada._tcp.local."
mode, address = sys.argv[1], sys.argv[2]
zc = Zeroconf(interfaces=[address], ip_version=IPVersion.V4Only)


def say(event):
    print(json.dumps(event), flush=True)


if mode == "browse":
    def changed(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Removed:
            say({"removed": name})
            return
        info = zeroconf.get_service_info(service_type, name, timeout=3000)
        if info is None:
            return
        txt = {k.decode(): (v.decode() if v is not None else None) for k, v in info.properties.items()}
        say({"state": state_change.name, "type": service_type, "name": name, "port": info.port, "server": info.server,
             "addresses": info.parsed_addresses(), "txt": txt})

    ServiceBrowser(zc, [TYPE, "_sip._udp.local.", "_sip._tcp.local."], handlers=[changed])
    say({"browsing": True})
    sys.stdin.read()
else:
    txt = json.loads(sys.argv[3])
    info = ServiceInfo(TYPE, "peer." + TYPE, port=int(txt["port"]), properties=txt,
                       server="peer-host.local.", addresses=[bytes(map(int, address.split(".")))])
    zc.register_service(info)
    say({"registered": True})
    sys.stdin.read()
    zc.unregister_service(info)
    say({"unregistered": True})
zc.close()
