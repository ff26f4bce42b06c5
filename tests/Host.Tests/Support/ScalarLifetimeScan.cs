using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Pipeline.Tests.Support;

/// <summary>
/// Finds native TorchSharp Scalars that nothing keeps alive across the native call that reads them, by reading IL.
/// A Scalar made from a primitive (<c>Scalar.op_Implicit</c>, <c>ToScalar()</c>) is safe only when it is stored
/// (a local that is later disposed, as <c>using Scalar s = 0.5;</c> compiles, or a field); one passed straight to a
/// call is unreachable during that call, and the finalizer may free it while libtorch reads it.
/// TorchSharp's own methods are scanned the same way, so a call from project code into a TorchSharp method that
/// drops a Scalar inside (<c>tensor * 0.5</c>, <c>clamp(0.0, 1.0)</c>, the optimizers' <c>step</c>) is found too.
/// </summary>
public static class ScalarLifetimeScan
{
    /// <summary>One offending method: where it is, and what it does.</summary>
    public sealed record Finding(string Assembly, string Method, string What)
    {
        public override string ToString() => $"{Assembly}: {Method}: {What}";
    }

    static readonly Dictionary<ushort, OpCode> OpCodesByValue = typeof(OpCodes).GetFields()
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => unchecked((ushort)o.Value));

    /// <summary>Methods of TorchSharp (by "Type::Name(params)" key) that drop a Scalar, directly or through others.</summary>
    public static HashSet<string> UnsafeTorchSharpMethods(string torchSharpPath)
    {
        var bodies = Read(torchSharpPath);
        var unsafeKeys = bodies.Where(b => b.DropsScalar).Select(b => b.Key).ToHashSet();
        // Propagate through TorchSharp's own calls until nothing changes.
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var b in bodies)
                if (!unsafeKeys.Contains(b.Key) && b.Calls.Any(c => c.StartsWith("TorchSharp.", StringComparison.Ordinal) && unsafeKeys.Contains(c)))
                    changed = unsafeKeys.Add(b.Key) | changed;
        }
        return unsafeKeys;
    }

    /// <summary>Every method of <paramref name="assemblyPath"/> that drops a Scalar or calls a TorchSharp method that does.</summary>
    public static List<Finding> Scan(string assemblyPath, HashSet<string> unsafeTorchSharp)
    {
        var name = Path.GetFileName(assemblyPath);
        var findings = new List<Finding>();
        foreach (var body in Read(assemblyPath))
        {
            if (body.DropsScalar) findings.Add(new(name, body.Key, "makes a Scalar from a number and does not keep it alive (store it in a disposed local)"));
            foreach (var call in body.Calls.Distinct())
                if (unsafeTorchSharp.Contains(call))
                    findings.Add(new(name, body.Key, $"calls {call}, which drops a Scalar inside"));
        }
        return findings;
    }

    sealed record Body(string Key, bool DropsScalar, List<string> Calls);

    static List<Body> Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var result = new List<Body>();
        foreach (var handle in md.MethodDefinitions)
        {
            var method = md.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0) continue;
            var il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes() ?? [];
            result.Add(Analyse(md, KeyOf(md, handle), il));
        }
        return result;
    }

    static Body Analyse(MetadataReader md, string key, byte[] il)
    {
        var calls = new List<string>();
        var instructions = Decode(il);
        var made = new List<(int Index, int? Local)>();
        var disposedLocals = new HashSet<int>();
        for (int i = 0; i < instructions.Count; i++)
        {
            var (op, operand) = instructions[i];
            if (op.OperandType != OperandType.InlineMethod) continue;
            var target = KeyOfToken(md, operand);
            if (target is null) continue;
            calls.Add(target);
            if (MakesScalar(target))
                made.Add((i, i + 1 < instructions.Count ? StoredLocal(instructions[i + 1]) : null));
            else if (target.EndsWith("::Dispose()", StringComparison.Ordinal) && i > 0 && LoadedLocal(instructions[i - 1]) is { } local)
                disposedLocals.Add(local);
            // A Scalar stored in a field (static caches, closures of `using` locals) lives as long as its owner; one
            // returned belongs to the caller (the conversions themselves).
            if (MakesScalar(target) && i + 1 < instructions.Count &&
                (instructions[i + 1].Op.OperandType == OperandType.InlineField || instructions[i + 1].Op.Value == OpCodes.Ret.Value))
                made[^1] = (i, -1);
        }
        bool drops = made.Any(m => m.Local is null || (m.Local >= 0 && !disposedLocals.Contains(m.Local.Value)));
        return new Body(key, drops, calls);
    }

    static bool MakesScalar(string key) =>
        key.StartsWith("TorchSharp.Scalar::op_Implicit(", StringComparison.Ordinal) ||
        key.StartsWith("TorchSharp.ScalarExtensionMethods::ToScalar(", StringComparison.Ordinal) ||
        key.StartsWith("TorchSharp.Scalar::.ctor(", StringComparison.Ordinal);

    static int? StoredLocal((OpCode Op, int Operand) x) => x.Op.Value switch
    {
        0x0A => 0, 0x0B => 1, 0x0C => 2, 0x0D => 3, // stloc.0-3
        0x13 => x.Operand, unchecked((short)0xFE0E) => x.Operand, // stloc.s, stloc
        _ => null,
    };

    static int? LoadedLocal((OpCode Op, int Operand) x) => x.Op.Value switch
    {
        0x06 => 0, 0x07 => 1, 0x08 => 2, 0x09 => 3, // ldloc.0-3
        0x11 or 0x12 => x.Operand, unchecked((short)0xFE0C) or unchecked((short)0xFE0D) => x.Operand, // ldloc(a).s, ldloc(a)
        _ => null,
    };

    static List<(OpCode Op, int Operand)> Decode(byte[] il)
    {
        var list = new List<(OpCode, int)>();
        for (int pc = 0; pc < il.Length;)
        {
            ushort value = il[pc] == 0xFE ? (ushort)(0xFE00 | il[pc + 1]) : il[pc];
            pc += il[pc] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            int operand = 0;
            switch (op.OperandType)
            {
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    operand = il[pc]; pc += 1; break;
                case OperandType.InlineVar:
                    operand = BitConverter.ToUInt16(il, pc); pc += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    pc += 8; break;
                case OperandType.ShortInlineR:
                    pc += 4; break;
                case OperandType.InlineSwitch:
                    int n = BitConverter.ToInt32(il, pc); pc += 4 + 4 * n; break;
                case OperandType.InlineNone:
                    break;
                default:
                    operand = BitConverter.ToInt32(il, pc); pc += 4; break;
            }
            list.Add((op, operand));
        }
        return list;
    }

    static string KeyOf(MetadataReader md, MethodDefinitionHandle handle)
    {
        var m = md.GetMethodDefinition(handle);
        var sig = m.DecodeSignature(TypeNames.Instance, null);
        return $"{TypeNames.Full(md, m.GetDeclaringType())}::{md.GetString(m.Name)}({string.Join(",", sig.ParameterTypes)})";
    }

    static string? KeyOfToken(MetadataReader md, int token)
    {
        var handle = MetadataTokens.EntityHandle(token);
        switch (handle.Kind)
        {
            case HandleKind.MethodDefinition:
                return KeyOf(md, (MethodDefinitionHandle)handle);
            case HandleKind.MemberReference:
                var r = md.GetMemberReference((MemberReferenceHandle)handle);
                if (r.GetKind() != MemberReferenceKind.Method) return null;
                var sig = r.DecodeMethodSignature(TypeNames.Instance, null);
                var owner = r.Parent.Kind switch
                {
                    HandleKind.TypeReference => TypeNames.Full(md, (TypeReferenceHandle)r.Parent),
                    HandleKind.TypeDefinition => TypeNames.Full(md, (TypeDefinitionHandle)r.Parent),
                    HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)r.Parent).DecodeSignature(TypeNames.Instance, null),
                    _ => "?",
                };
                return $"{owner}::{md.GetString(r.Name)}({string.Join(",", sig.ParameterTypes)})";
            case HandleKind.MethodSpecification:
                var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                return KeyOfToken(md, MetadataTokens.GetToken(spec.Method));
            default:
                return null;
        }
    }

    /// <summary>Type names as "Namespace.Outer/Inner", generic arguments left out, so definitions and references agree.</summary>
    sealed class TypeNames : ISignatureTypeProvider<string, object?>
    {
        public static readonly TypeNames Instance = new();

        public static string Full(MetadataReader md, TypeDefinitionHandle h)
        {
            var t = md.GetTypeDefinition(h);
            var declaring = t.GetDeclaringType();
            var name = md.GetString(t.Name);
            return declaring.IsNil ? Join(md.GetString(t.Namespace), name) : $"{Full(md, declaring)}/{name}";
        }

        public static string Full(MetadataReader md, TypeReferenceHandle h)
        {
            var t = md.GetTypeReference(h);
            var name = md.GetString(t.Name);
            return t.ResolutionScope.Kind == HandleKind.TypeReference
                ? $"{Full(md, (TypeReferenceHandle)t.ResolutionScope)}/{name}"
                : Join(md.GetString(t.Namespace), name);
        }

        static string Join(string ns, string name) => ns.Length == 0 ? name : $"{ns}.{name}";

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => Full(reader, handle);
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => Full(reader, handle);
        public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetGenericInstantiation(string genericType, System.Collections.Immutable.ImmutableArray<string> typeArguments) => genericType;
        public string GetGenericMethodParameter(object? context, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? context, int index) => "!" + index;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetPinnedType(string elementType) => elementType;
        public string GetTypeFromSerializedName(string name) => name;
        public PrimitiveTypeCode GetUnderlyingEnumType(string type) => PrimitiveTypeCode.Int32;
        public bool IsSystemType(PrimitiveTypeCode code) => false;
        public string GetSystemType() => "System.Type";
    }
}
