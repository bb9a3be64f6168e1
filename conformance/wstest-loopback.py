# Runs Autobahn's `wstest` with every socket it listens on bound to 127.0.0.1.
# fuzzingserver mode calls listenWS() with the default interface '' (all interfaces) and has no option for it;
# our test servers must only ever be reachable on loopback. Usage: python wstest-loopback.py <wstest args>
import sys

from autobahntestsuite.wstest import run  # installs wstest's chosen reactor first
from twisted.internet import reactor

_listen_tcp = reactor.listenTCP


def _listen_tcp_loopback(port, factory, backlog=50, interface=''):
    return _listen_tcp(port, factory, backlog, interface or '127.0.0.1')


reactor.listenTCP = _listen_tcp_loopback
sys.argv[0] = 'wstest'
sys.exit(run())
