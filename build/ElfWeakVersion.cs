using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks one symbol-version requirement of an ELF64 shared object weak (VER_FLG_WEAK in the
/// Vernaux entry of .gnu.version_r), so the dynamic loader accepts a libstdc++ that lacks that
/// version. Used for libLibTorchSharp.so, whose only GLIBCXX_3.4.32 reference is the no-op
/// marker std::ios_base_library_init() that GCC 13 emits. Applied only when the machine's
/// libstdc++ lacks the version (or always, with <see cref="Always"/>: for packages built here and run
/// elsewhere), and only to the copy in the build output.
/// </summary>
public sealed class ElfWeakVersion : Task
{
    const ushort VerFlagWeak = 0x2;

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Version { get; set; } = "";
    public bool Always { get; set; }

    public override bool Execute()
    {
        if (!Always && (!System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux) || SystemLibStdCxxHas(Version)))
            return true;
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            if (!File.Exists(path)) continue;
            try
            {
                var bytes = File.ReadAllBytes(path);
                int changed = MarkWeak(bytes, Version);
                if (changed > 0)
                {
                    // Replace rather than write in place: the output copy may be a hard link into
                    // the package cache, which must stay untouched.
                    var tmp = path + ".weak-tmp";
                    File.WriteAllBytes(tmp, bytes);
                    File.Delete(path);
                    File.Move(tmp, path);
                    Log.LogMessage(MessageImportance.Normal, $"{path}: marked {Version} weak");
                }
            }
            catch (Exception e)
            {
                Log.LogWarning($"{path}: could not mark {Version} weak: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    static bool SystemLibStdCxxHas(string version)
    {
        var needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib64", "/lib" })
        {
            var lib = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(lib))
                return IndexOf(File.ReadAllBytes(lib), needle) >= 0;
        }
        return true; // no system libstdc++ found: nothing to fix against
    }

    static int IndexOf(byte[] hay, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= hay.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && hay[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    /// <summary>Sets VER_FLG_WEAK on every Vernaux entry named <paramref name="version"/>; returns how many changed.</summary>
    public static int MarkWeak(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("only little-endian ELF64 is supported");
        ulong shoff = BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        const uint ShtGnuVerneed = 0x6ffffffe;
        int changed = 0;
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            uint type = BitConverter.ToUInt32(elf, sh + 4);
            if (type != ShtGnuVerneed) continue;
            int offset = checked((int)BitConverter.ToUInt64(elf, sh + 0x18));
            uint link = BitConverter.ToUInt32(elf, sh + 0x28);
            int strtab = checked((int)BitConverter.ToUInt64(elf, checked((int)shoff + (int)link * shentsize) + 0x18));
            int need = offset;
            while (true)
            {
                int cnt = BitConverter.ToUInt16(elf, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (int a = 0; a < cnt; a++)
                {
                    uint name = BitConverter.ToUInt32(elf, aux + 8);
                    if (ReadString(elf, strtab + (int)name) == version)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, aux + 4);
                        if ((flags & VerFlagWeak) == 0)
                        {
                            ushort weak = (ushort)(flags | VerFlagWeak);
                            elf[aux + 4] = (byte)(weak & 0xff);
                            elf[aux + 5] = (byte)(weak >> 8);
                            changed++;
                        }
                    }
                    uint nextAux = BitConverter.ToUInt32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux += (int)nextAux;
                }
                uint next = BitConverter.ToUInt32(elf, need + 12);
                if (next == 0) break;
                need += (int)next;
            }
        }
        return changed;
    }

    static string ReadString(byte[] b, int start)
    {
        int end = start;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, start, end - start);
    }
}
