using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Mnist.Core.Data;

/// <summary>A malformed IDX file: the message names the file and the problem.</summary>
public sealed class IdxFormatException(string file, string problem)
    : Exception($"{file}: {problem}")
{
    public string FilePath { get; } = file;
    public string Problem { get; } = problem;
}

/// <summary>The images of an IDX3 file: <c>Count</c> images of <c>Rows</c> x <c>Columns</c> bytes.</summary>
public sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels, string PayloadMd5);

/// <summary>The labels of an IDX1 file.</summary>
public sealed record IdxLabels(byte[] Labels, string PayloadMd5)
{
    public int Count => Labels.Length;
}

/// <summary>
/// Reads the IDX format of LeCun's MNIST distribution, gzip-compressed or raw. Every check
/// (magic number, dimensions, counts, truncation, trailing bytes, label range) names the file.
/// </summary>
public static class IdxReader
{
    public const int LabelsMagic = 0x00000801; // 2049: unsigned bytes, 1 dimension
    public const int ImagesMagic = 0x00000803; // 2051: unsigned bytes, 3 dimensions

    /// <summary>No IDX file we read may hold more than this many payload bytes (2 GiB).</summary>
    public const long MaxPayloadBytes = int.MaxValue;

    public static IdxImages ReadImages(string path)
    {
        var (bytes, md5) = ReadPayload(path);
        var magic = ReadHeaderInt(bytes, 0, path, "magic number");
        if (magic != ImagesMagic)
        {
            throw new IdxFormatException(path, magic == LabelsMagic
                ? $"magic number {magic} is that of a label file; expected {ImagesMagic} (images)"
                : $"magic number {magic} (0x{magic:X8}) is not that of an IDX image file; expected {ImagesMagic}");
        }
        var count = ReadHeaderInt(bytes, 4, path, "image count");
        var rows = ReadHeaderInt(bytes, 8, path, "row count");
        var cols = ReadHeaderInt(bytes, 12, path, "column count");
        if (count < 0) throw new IdxFormatException(path, $"image count {count} is negative");
        if (rows <= 0 || cols <= 0) throw new IdxFormatException(path, $"image dimensions {rows}x{cols} must be positive");
        var expected = (long)count * rows * cols;
        if (expected > MaxPayloadBytes) throw new IdxFormatException(path, $"{count} images of {rows}x{cols} exceed the limit of {MaxPayloadBytes} bytes");
        CheckLength(path, bytes.Length - 16, expected, "pixel");
        var pixels = bytes.AsSpan(16, (int)expected).ToArray();
        return new IdxImages(count, rows, cols, pixels, md5);
    }

    public static IdxLabels ReadLabels(string path, int classCount = 10)
    {
        var (bytes, md5) = ReadPayload(path);
        var magic = ReadHeaderInt(bytes, 0, path, "magic number");
        if (magic != LabelsMagic)
        {
            throw new IdxFormatException(path, magic == ImagesMagic
                ? $"magic number {magic} is that of an image file; expected {LabelsMagic} (labels)"
                : $"magic number {magic} (0x{magic:X8}) is not that of an IDX label file; expected {LabelsMagic}");
        }
        var count = ReadHeaderInt(bytes, 4, path, "label count");
        if (count < 0) throw new IdxFormatException(path, $"label count {count} is negative");
        CheckLength(path, bytes.Length - 8, count, "label");
        var labels = bytes.AsSpan(8, count).ToArray();
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classCount)
            {
                throw new IdxFormatException(path, $"label {labels[i]} at index {i} is out of range 0-{classCount - 1}");
            }
        }
        return new IdxLabels(labels, md5);
    }

    /// <summary>MD5 (lower-case hex) of the decompressed payload, as the MNIST checksums are given.</summary>
    public static string PayloadMd5(string path) => ReadPayload(path).Md5;

    private static void CheckLength(string path, long available, long expected, string what)
    {
        if (available < expected)
        {
            throw new IdxFormatException(path, $"truncated: the header announces {expected} {what} bytes but only {Math.Max(0, available)} follow");
        }
        if (available > expected)
        {
            throw new IdxFormatException(path, $"{available - expected} unexpected bytes after the {expected} {what} bytes the header announces");
        }
    }

    private static int ReadHeaderInt(byte[] bytes, int offset, string path, string field)
    {
        if (bytes.Length < offset + 4)
        {
            throw new IdxFormatException(path, bytes.Length == 0
                ? "file is empty; expected an IDX header"
                : $"truncated header: {bytes.Length} bytes, too short for the {field} at byte {offset}");
        }
        return BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset, 4));
    }

    private static (byte[] Bytes, string Md5) ReadPayload(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        try
        {
            using var file = File.OpenRead(path);
            var gz = IsGzip(file);
            using var input = gz ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            using var buffer = new MemoryStream(gz ? 0 : (int)Math.Min(file.Length, MaxPayloadBytes));
            var chunk = new byte[1 << 16];
            int n;
            while ((n = input.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + n > MaxPayloadBytes)
                {
                    throw new IdxFormatException(path, $"payload exceeds the limit of {MaxPayloadBytes} bytes");
                }
                buffer.Write(chunk, 0, n);
            }
            var bytes = buffer.ToArray();
            return (bytes, Convert.ToHexStringLower(MD5.HashData(bytes)));
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException(path, $"corrupt gzip data ({e.Message})");
        }
        catch (EndOfStreamException)
        {
            throw new IdxFormatException(path, "truncated gzip stream");
        }
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> head = stackalloc byte[2];
        var n = file.Read(head);
        file.Position = 0;
        return n == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }
}
