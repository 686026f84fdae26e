import type { CompatCase } from '../src/case.js';

/** Perl: the interpreter, core modules, file I/O and processes. */
export const perlCases: CompatCase[] = [
  {
    name: 'perl/basics',
    argv: [
      'perl',
      '-e',
      'my %n; $n{$_}++ for split //, "mississippi"; print join(",", map { "$_=$n{$_}" } sort keys %n), "\\n"; my @s = sort { $a <=> $b } (10, 9, 100, 1); print "@s\\n"; printf "%.4f %s %05.1f\\n", atan2(1, 1) * 4, scalar reverse("perl"), 3.14159; my $t = "2024-01-02"; my ($y, $m, $d) = $t =~ /(\\d+)-(\\d+)-(\\d+)/; print $y + $m + $d, "\\n";',
    ],
    packages: ['perl-base'],
  },
  {
    name: 'perl/modules',
    argv: [
      'perl',
      '-MList::Util=sum,max,first',
      '-MDigest::MD5=md5_hex',
      '-MPOSIX=floor',
      '-MData::Dumper',
      '-e',
      '$Data::Dumper::Sortkeys = 1; $Data::Dumper::Indent = 1; print sum(1..100), " ", max(3, 9, 2), " ", first { $_ > 3 } (1..10); print "\\n", md5_hex("tVisor"), " ", floor(-2.5), "\\n"; print Dumper({ a => [1, 2], b => { c => undef } });',
    ],
    packages: ['perl'],
  },
  {
    name: 'perl/filter-stdin',
    argv: ['perl', '-lane', 'next unless @F; $w{lc $_}++ for @F; END { print "$_ $w{$_}" for sort { $w{$b} <=> $w{$a} || $a cmp $b } keys %w }'],
    stdin: 'the quick brown fox\njumps over the lazy dog\n\nThe dog sleeps\n',
    packages: ['perl-base'],
  },
  {
    name: 'perl/files',
    // Reads a file given on the command line and writes a new one.
    argv: [
      'perl',
      '-e',
      'open(my $in, "<", "input.txt") or die "open: $!"; my @l = <$in>; close $in; open(my $out, ">", "output.txt") or die "write: $!"; print $out reverse @l; close $out; open($in, "<", "output.txt") or die; print <$in>; print -s "output.txt", "\\n";',
    ],
    files: { 'input.txt': 'first\nsecond\nthird\n' },
    packages: ['perl-base'],
  },
  {
    name: 'perl/processes',
    argv: [
      'perl',
      '-e',
      'my $out = `echo from backticks`; print $out; system("true") == 0 or die; print "system ok\\n"; my $pid = fork(); if ($pid == 0) { exit 5 } waitpid($pid, 0); print "child exit ", $? >> 8, "\\n"; pipe(my $r, my $w); if (!fork()) { close $r; print $w "through a pipe\\n"; exit 0 } close $w; print scalar <$r>; wait;',
    ],
    packages: ['perl-base', 'coreutils'],
  },
];
