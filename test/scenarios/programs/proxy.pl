#!/usr/bin/perl
# A forward HTTP proxy for absolute-form GET requests (as curl -x sends them), one client at a time: it is the
# benign process that makes many outbound connections with large replies on behalf of others.
#
#   proxy.pl LISTEN_ADDRESS:PORT
use strict;
use warnings;
use IO::Socket::INET;

my ($listen_host, $listen_port) = split /:/, ($ARGV[0] // '127.0.0.1:3128');
my $server = IO::Socket::INET->new(LocalAddr => $listen_host, LocalPort => $listen_port, Listen => 16, ReuseAddr => 1)
  or die "cannot listen on $listen_host:$listen_port: $!\n";
$| = 1;
print "listening\n";
$SIG{TERM} = sub { exit 0 };

while (my $client = $server->accept) {
  my $request_line = <$client> // next;
  while (my $header = <$client>) { last if $header =~ /^\r?\n$/; }
  my ($method, $url) = split / /, $request_line;
  my ($host, $port, $path) = $url =~ m{^http://([^/:]+)(?::(\d+))?(/.*)?$};
  unless ($host) { print $client "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"; close $client; next; }
  my $upstream = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port // 80, Proto => 'tcp', Timeout => 5);
  unless ($upstream) { print $client "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n"; close $client; next; }
  print $upstream "$method " . ($path // '/') . " HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n";
  while (my $n = sysread($upstream, my $buf, 65536)) { syswrite($client, $buf); }
  close $upstream;
  close $client;
}
