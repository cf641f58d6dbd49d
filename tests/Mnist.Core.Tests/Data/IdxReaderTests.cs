using Mnist.Core.Data;
using Mnist.Testing;

namespace Mnist.Core.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, byte[] bytes)
    {
        var path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Given_a_raw_image_file_When_read_Then_count_dimensions_and_pixels_are_those_written()
    {
        var path = Write("images", IdxWriter.Images(3, 4, 5, i => (byte)i));

        var images = IdxReader.ReadImages(path);

        Assert.Equal((3, 4, 5), (images.Count, images.Rows, images.Columns));
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (byte)i), images.Pixels);
    }

    [Fact]
    public void Given_a_gzipped_file_When_read_Then_it_equals_the_raw_file_and_has_the_payload_checksum()
    {
        var payload = IdxWriter.Images(2, 3, 3);
        var raw = IdxReader.ReadImages(Write("raw", payload));
        var gz = IdxReader.ReadImages(Write("gz.gz", IdxWriter.Gzip(payload)));

        Assert.Equal(raw.Pixels, gz.Pixels);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(payload)), gz.PayloadMd5);
    }

    [Fact]
    public void Given_a_label_file_When_read_Then_labels_are_those_written()
    {
        var labels = IdxReader.ReadLabels(Write("labels", IdxWriter.Labels([3, 1, 4, 1, 5, 9])));

        Assert.Equal(new byte[] { 3, 1, 4, 1, 5, 9 }, labels.Labels);
    }

    [Fact]
    public void Given_an_empty_file_When_read_Then_the_error_names_the_file_and_says_it_is_empty()
    {
        var path = Write("empty", []);

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));

        Assert.Equal(path, e.FilePath);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Given_a_wrong_magic_number_When_read_Then_the_error_gives_found_and_expected()
    {
        var path = Write("bad-magic", IdxWriter.Images(1, 2, 2, magic: 1234));

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));

        Assert.Contains("1234", e.Message);
        Assert.Contains("2051", e.Message);
    }

    [Fact]
    public void Given_a_label_file_When_read_as_images_Then_the_error_says_it_is_a_label_file()
    {
        var path = Write("labels-as-images", IdxWriter.Labels([1, 2]));

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));

        Assert.Contains("label file", e.Message);
    }

    [Fact]
    public void Given_an_image_file_When_read_as_labels_Then_the_error_says_it_is_an_image_file()
    {
        var path = Write("images-as-labels", IdxWriter.Images(1, 2, 2));

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(path));

        Assert.Contains("image file", e.Message);
    }

    [Fact]
    public void Given_a_header_cut_short_When_read_Then_the_error_says_truncated_header()
    {
        var path = Write("short-header", IdxWriter.Images(1, 2, 2)[..10]);

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));

        Assert.Contains("truncated header", e.Message);
        Assert.Contains("row count", e.Message);
    }

    [Fact]
    public void Given_pixel_data_cut_short_When_read_Then_the_error_gives_announced_and_present_bytes()
    {
        var path = Write("truncated", IdxWriter.Images(10, 28, 28)[..(16 + 7000)]);

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));

        Assert.Contains("truncated", e.Message);
        Assert.Contains("7840", e.Message);
        Assert.Contains("7000", e.Message);
    }

    [Fact]
    public void Given_a_gzip_stream_cut_short_When_read_Then_it_is_an_idx_error_not_a_crash()
    {
        var gz = IdxWriter.Gzip(IdxWriter.Images(50, 28, 28));
        var path = Write("cut.gz", gz[..(gz.Length / 2)]);

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));

        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void Given_corrupt_gzip_data_When_read_Then_the_error_says_corrupt_gzip()
    {
        var gz = IdxWriter.Gzip(IdxWriter.Images(5, 28, 28));
        for (var i = 12; i < gz.Length - 8; i++) gz[i] ^= 0x5A;
        var path = Write("corrupt.gz", gz);

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));

        Assert.Contains("gzip", e.Message);
    }

    [Fact]
    public void Given_bytes_after_the_announced_data_When_read_Then_the_error_counts_them()
    {
        var path = Write("trailing", [.. IdxWriter.Images(1, 2, 2), 1, 2, 3]);

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));

        Assert.Contains("3 unexpected bytes", e.Message);
    }

    [Fact]
    public void Given_zero_image_dimensions_When_read_Then_the_error_names_the_dimensions()
    {
        var path = Write("zero-dims", IdxWriter.Images(1, 0, 28));

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(path));

        Assert.Contains("0x28", e.Message);
    }

    [Fact]
    public void Given_a_negative_count_When_read_Then_the_error_says_negative()
    {
        var path = Write("negative", IdxWriter.Labels([1], count: -5));

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(path));

        Assert.Contains("negative", e.Message);
    }

    [Fact]
    public void Given_more_labels_announced_than_present_When_read_Then_the_error_says_truncated()
    {
        var path = Write("few-labels", IdxWriter.Labels([1, 2, 3], count: 5));

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(path));

        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Given_a_label_out_of_range_When_read_Then_the_error_gives_the_label_and_its_index()
    {
        var path = Write("bad-label", IdxWriter.Labels([0, 9, 12, 3]));

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(path));

        Assert.Contains("label 12 at index 2", e.Message);
    }

    [Fact]
    public void Given_a_missing_file_When_read_Then_file_not_found_names_it()
    {
        var path = _dir.File("nope.gz");

        var e = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, e.Message);
    }
}
