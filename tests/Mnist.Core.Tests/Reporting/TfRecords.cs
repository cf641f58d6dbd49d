using System.Buffers.Binary;
using System.Text;

namespace Mnist.Core.Tests.Reporting;

/// <summary>
/// Reads a TensorBoard event file's TFRecord framing (length, masked CRC-32C of the length,
/// data, masked CRC-32C of the data), checking both CRCs, and returns the records' bytes.
/// </summary>
internal static class TfRecords
{
    public static List<byte[]> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var records = new List<byte[]>();
        var at = 0;
        while (at < bytes.Length)
        {
            Assert.True(at + 12 <= bytes.Length, $"{path}: truncated header at byte {at}");
            var header = bytes.AsSpan(at, 8);
            var length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header));
            Assert.Equal(Masked(header), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8, 4)));
            Assert.True(at + 12 + length + 4 <= bytes.Length, $"{path}: record at byte {at} runs past the end");
            var data = bytes.AsSpan(at + 12, length);
            Assert.Equal(Masked(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length, 4)));
            records.Add(data.ToArray());
            at += 12 + length + 4;
        }
        return records;
    }

    /// <summary>Every event file under the folder, and whether some record of them holds each string (tags are stored verbatim).</summary>
    public static bool Contains(IEnumerable<byte[]> records, string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        return records.Any(r => r.AsSpan().IndexOf(needle) >= 0);
    }

    public static List<byte[]> ReadAll(string dir, SearchOption option = SearchOption.TopDirectoryOnly) =>
        Directory.GetFiles(dir, "events.out.tfevents.*", option).SelectMany(Read).ToList();

    private static uint Masked(ReadOnlySpan<byte> data)
    {
        var crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }
}
