<?php
// Stable links without any service: the README's vectors, the LinkSecret value's two shapes,
// and whole links checked part by part.
use PHPUnit\Framework\TestCase;

final class LinkTest extends TestCase
{
    private const KEY = 'offline-export-test-vector-secret-0001';
    private const OBJECT = 'task-42-a1-0b7c1f2e-6d1a-4a8e-9f3b-2c5d8e7f9a10.csv';

    public function testMintsTheReadmesVector(): void
    {
        $this->assertSame(
            'https://dl.example.com/d/42?o=' . self::OBJECT . '&e=1893456000&s=e30bac1f938e6fe55d68f1804062278fccce4e31b64ec0caf3112bb5ae1a9906',
            OfflineExportLink::mint('https://dl.example.com/', self::KEY, 42, self::OBJECT, 1893456000),
        );
    }

    public function testReadsTheSecretPlainOrRotating(): void
    {
        $old = str_repeat('o', 32);
        $this->assertSame([self::KEY], OfflineExportLink::keys(" " . self::KEY . "\n"));
        $this->assertSame([self::KEY, $old], OfflineExportLink::keys(json_encode(['current' => self::KEY, 'previous' => $old])));
        $this->assertSame([self::KEY], OfflineExportLink::keys(json_encode(['current' => self::KEY, 'previous' => null])));
        foreach (['short', '{"current": 5}', '{bad json', json_encode(['current' => self::KEY, 'previous' => 7])] as $bad) {
            try {
                OfflineExportLink::keys($bad);
                $this->fail("accepted {$bad}");
            } catch (OfflineExportException $e) {
                $this->assertStringStartsWith('the link secret', $e->getMessage());
            }
        }
    }

    public function testVerifiesAWholeLinkAndRefusesEveryAlteredPart(): void
    {
        $link = OfflineExportLink::mint('https://dl.example.com', self::KEY, 42, self::OBJECT, 1893456000);
        $keys = [str_repeat('n', 40), self::KEY]; // rotated: signed with the previous key
        $this->assertTrue(OfflineExportLink::verifyUrl($keys, $link, 1893455999));
        $this->assertFalse(OfflineExportLink::verifyUrl($keys, $link, 1893456000), 'expired');
        foreach ([['/d/42?', '/d/43?'], ['-a1-', '-a2-'], ['e=1893456000', 'e=1893456001'], ['&s=e3', '&s=f3'], ['&s=', '&x=']] as [$from, $to]) {
            $this->assertFalse(OfflineExportLink::verifyUrl($keys, str_replace($from, $to, $link), 0), "{$from} -> {$to}");
        }
        $this->assertSame(self::OBJECT, OfflineExportLink::object('exports/2026/' . self::OBJECT));
        $this->assertSame(self::OBJECT, OfflineExportLink::object(self::OBJECT));
    }
}
