#!/usr/bin/perl
# A small HTTP/1.1 client the scenarios run under different executable names and paths. One TCP connection per
# request (Connection: close), so every request is one connection to the sensors.
#
#   client.pl get  HOST PORT PATH COUNT INTERVAL_MS [JITTER_PCT]
#   client.pl post HOST PORT PATH COUNT INTERVAL_MS BODY_BYTES [JITTER_PCT]
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(usleep);

my ($mode, $host, $port, $path, $count, $interval_ms, @rest) = @ARGV;
die "usage: client.pl get|post HOST PORT PATH COUNT INTERVAL_MS [BODY_BYTES] [JITTER_PCT]\n" unless defined $interval_ms;
my $body_bytes = $mode eq 'post' ? shift(@rest) : 0;
my $jitter_pct = shift(@rest) // 0;
$| = 1;

for my $i (1 .. $count) {
  my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp', Timeout => 3);
  if ($sock) {
    my $body = 'x' x $body_bytes;
    my $method = $mode eq 'post' ? 'POST' : 'GET';
    my $req = "$method $path HTTP/1.1\r\nHost: $host\r\nUser-Agent: scenario/1\r\nConnection: close\r\n";
    $req .= "Content-Type: application/octet-stream\r\nContent-Length: " . length($body) . "\r\n" if $mode eq 'post';
    print $sock "$req\r\n$body";
    my $received = 0;
    while (my $n = sysread($sock, my $buf, 65536)) { $received += $n; }
    close($sock);
    print "ok $i $received\n";
  } else {
    print "fail $i $!\n";
  }
  last if $i == $count;
  my $sleep_ms = $interval_ms;
  $sleep_ms += $interval_ms * $jitter_pct / 100 * (2 * rand() - 1) if $jitter_pct;
  usleep(int($sleep_ms * 1000));
}
