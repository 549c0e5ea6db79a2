/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-preload-symbols.c: which loaded file and symbol an address belongs to,
 * without the dynamic loader's lock.
 *
 * dladdr() takes the loader's lock.  A lock first used by a thread while
 * another thread holds the loader's lock (in dlopen(), running a library's
 * constructors) and waits for a lock the first one holds would deadlock in
 * dladdr(), though the program alone would not; so would a signal handler
 * interrupting the loader.  Naming an object must not wait for anything.
 *
 * So the library reads the symbol tables itself: it walks the loader's list
 * of loaded objects (`_r_debug.r_map`, the list debuggers read, without a
 * lock: objects are added to it only once fully mapped), maps each file
 * read-only with mmap() and looks its .symtab (else .dynsym) up, finding
 * which file an address is in from the file's PT_LOAD segments and its load
 * bias (`l_addr`).  Only system calls (open, mmap, readlink): no lock, no
 * malloc, safe in a signal handler.
 *
 * What was read is kept in a table (an anonymous mapping) that is never
 * changed once published: a thread that meets an address in no known file
 * while the loader's list has grown builds a new table (reusing the files
 * already mapped) and publishes it with one atomic store; the old one is
 * left in place for whoever still reads it.  One thread builds at a time;
 * another that needs a new table meanwhile waits a little, then makes do
 * with the old one.
 */
#define _GNU_SOURCE

#include "tv-preload.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILES 256

typedef struct
{
  const struct link_map *map;     /* the loader's entry it was read from */
  uintptr_t              bias;    /* l_addr */
  uintptr_t              start;   /* loaded range: bias + PT_LOADs */
  uintptr_t              end;
  const uint8_t         *image;   /* the whole file, read-only; NULL: unreadable */
  size_t                 size;
  const ElfW (Sym)      *syms;
  size_t                 n_syms;
  const char            *strs;
  size_t                 strs_size;
  char                   name[64]; /* base name */
} SymFile;

typedef struct
{
  uint32_t n_files;
  uint32_t n_maps;                 /* entries in the loader's list when built */
  SymFile  files[MAX_FILES];
} SymTable;

static _Atomic (SymTable *) current;
static _Atomic int building;

/* --- Reading one file ---------------------------------------------------- */

static bool
in_image (const SymFile *f,
          uint64_t       offset,
          uint64_t       size)
{
  return offset <= f->size && size <= f->size - offset;
}

static void
base_name (char       *out,
           size_t      size,
           const char *path)
{
  const char *slash = strrchr (path, '/');
  const char *base = slash != NULL ? slash + 1 : path;
  size_t len = strnlen (base, size - 1);

  memcpy (out, base, len);
  out[len] = '\0';
}

/* Maps `path` and finds its loaded range and symbol table. */
static void
read_file (SymFile    *f,
           const char *path)
{
  const ElfW (Ehdr) *ehdr;
  const ElfW (Phdr) *phdrs;
  const ElfW (Shdr) *shdrs, *symtab = NULL;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  struct stat st;
  void *image;
  int fd;

  base_name (f->name, sizeof f->name, path);
  if ((fd = open (path, O_RDONLY | O_CLOEXEC)) < 0)
    return;
  if (fstat (fd, &st) != 0 || st.st_size < (off_t) sizeof *ehdr
      || (image = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
    {
      close (fd);
      return;
    }
  close (fd);
  f->image = image;
  f->size = (size_t) st.st_size;

  ehdr = image;
  if (memcmp (ehdr->e_ident, ELFMAG, SELFMAG) != 0 || ehdr->e_ident[EI_CLASS] != ELFCLASS64
      || !in_image (f, ehdr->e_phoff, (uint64_t) ehdr->e_phnum * sizeof *phdrs)
      || !in_image (f, ehdr->e_shoff, (uint64_t) ehdr->e_shnum * sizeof *shdrs))
    return;

  phdrs = (const ElfW (Phdr) *) (f->image + ehdr->e_phoff);
  for (unsigned i = 0; i < ehdr->e_phnum; i++)
    if (phdrs[i].p_type == PT_LOAD)
      {
        if (phdrs[i].p_vaddr < lo)
          lo = phdrs[i].p_vaddr;
        if (phdrs[i].p_vaddr + phdrs[i].p_memsz > hi)
          hi = phdrs[i].p_vaddr + phdrs[i].p_memsz;
      }
  if (lo >= hi)
    return;
  f->start = f->bias + lo;
  f->end = f->bias + hi;

  /* The full table when the file still has it, else the exported one. */
  shdrs = (const ElfW (Shdr) *) (f->image + ehdr->e_shoff);
  for (unsigned i = 0; i < ehdr->e_shnum; i++)
    if (shdrs[i].sh_type == SHT_SYMTAB
        || (shdrs[i].sh_type == SHT_DYNSYM && symtab == NULL))
      symtab = &shdrs[i];
  if (symtab == NULL || symtab->sh_link >= ehdr->e_shnum
      || !in_image (f, symtab->sh_offset, symtab->sh_size)
      || !in_image (f, shdrs[symtab->sh_link].sh_offset, shdrs[symtab->sh_link].sh_size))
    return;
  f->syms = (const ElfW (Sym) *) (f->image + symtab->sh_offset);
  f->n_syms = symtab->sh_size / sizeof (ElfW (Sym));
  f->strs = (const char *) f->image + shdrs[symtab->sh_link].sh_offset;
  f->strs_size = shdrs[symtab->sh_link].sh_size;
}

/* --- The table ------------------------------------------------------------ */

static uint32_t
count_maps (void)
{
  uint32_t n = 0;

  for (const struct link_map *map = _r_debug.r_map; map != NULL && n < 4 * MAX_FILES; map = map->l_next)
    n++;
  return n;
}

static const SymFile *
find_old (const SymTable        *old,
          const struct link_map *map)
{
  for (uint32_t i = 0; old != NULL && i < old->n_files; i++)
    if (old->files[i].map == map && old->files[i].bias == map->l_addr)
      return &old->files[i];
  return NULL;
}

static SymTable *
build (const SymTable *old)
{
  SymTable *table = mmap (NULL, sizeof *table, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if (table == MAP_FAILED)
    return NULL;
  for (const struct link_map *map = _r_debug.r_map;
       map != NULL && table->n_files < MAX_FILES; map = map->l_next)
    {
      const SymFile *known = find_old (old, map);
      SymFile *f = &table->files[table->n_files];
      const char *path = map->l_name;
      char exe[512];

      table->n_maps++;
      if (known != NULL)
        {
          *f = *known;
          table->n_files++;
          continue;
        }
      if (path == NULL || path[0] == '\0')
        {
          /* The main program: the loader gives it no name. */
          ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);

          if (n <= 0)
            continue;
          exe[n] = '\0';
          path = exe;
        }
      else if (path[0] != '/')
        continue;   /* linux-vdso.so.1: no file */
      f->map = map;
      f->bias = map->l_addr;
      read_file (f, path);
      if (f->start < f->end)
        table->n_files++;
      else
        {
          if (f->image != NULL)
            munmap ((void *) f->image, f->size);
          memset (f, 0, sizeof *f);
        }
    }
  return table;
}

/* The file `address` is loaded from, or NULL. */
static const SymFile *
file_of (uintptr_t address)
{
  SymTable *table = atomic_load_explicit (&current, memory_order_acquire);

  for (int attempt = 0; attempt < 2; attempt++)
    {
      SymTable *fresh;
      int expected = 0;

      for (uint32_t i = 0; table != NULL && i < table->n_files; i++)
        if (address >= table->files[i].start && address < table->files[i].end)
          return &table->files[i];

      /* In no file we know: the heap, a stack, or a library loaded since. */
      if (attempt > 0 || (table != NULL && table->n_maps == count_maps ()))
        return NULL;
      if (!atomic_compare_exchange_strong (&building, &expected, 1))
        {
          /* Another thread is building one: wait for it a little. */
          for (int spins = 0; spins < 1000 && atomic_load (&building); spins++)
            sched_yield ();
          table = atomic_load_explicit (&current, memory_order_acquire);
          continue;
        }
      fresh = build (table);
      if (fresh != NULL)
        {
          atomic_store_explicit (&current, fresh, memory_order_release);
          table = fresh;
        }
      atomic_store (&building, 0);
    }
  return NULL;
}

void
tv_preload_symbols_after_fork (void)
{
  /* A thread of the parent may have been building: it is not here. */
  atomic_store (&building, 0);
}

/* --- Looking up ---------------------------------------------------------- */

static const char *
sym_name (const SymFile   *f,
          const ElfW (Sym) *sym)
{
  if (sym->st_name == 0 || sym->st_name >= f->strs_size)
    return NULL;
  return f->strs + sym->st_name;
}

bool
tv_preload_describe_address (uintptr_t address,
                             bool      data,
                             char     *buffer,
                             size_t    size)
{
  const SymFile *f = file_of (address);
  uintptr_t vaddr;

  buffer[0] = '\0';
  if (f == NULL)
    return false;
  vaddr = address - f->bias;

  /* The symbol that contains it: a variable for data, a function for code. */
  for (size_t i = 0; i < f->n_syms; i++)
    {
      const ElfW (Sym) *sym = &f->syms[i];
      int type = ELF64_ST_TYPE (sym->st_info);
      const char *name;

      if (sym->st_shndx == SHN_UNDEF || sym->st_value > vaddr
          || vaddr >= sym->st_value + (sym->st_size > 0 ? sym->st_size : 1))
        continue;
      if (data ? type != STT_OBJECT && type != STT_TLS && type != STT_NOTYPE
               : type != STT_FUNC && type != STT_GNU_IFUNC)
        continue;
      if ((name = sym_name (f, sym)) == NULL || name[0] == '\0')
        continue;
      if (vaddr == sym->st_value)
        snprintf (buffer, size, "%s", name);
      else
        snprintf (buffer, size, "%s+0x%lx", name, (unsigned long) (vaddr - sym->st_value));
      return true;
    }
  /* Code with no symbol: the file and where in it (for addr2line). */
  if (!data)
    snprintf (buffer, size, "%s+0x%lx", f->name, (unsigned long) vaddr);
  return !data;
}

bool
tv_preload_same_file (uintptr_t a,
                      uintptr_t b)
{
  const SymFile *f = file_of (a);

  return f != NULL && b >= f->start && b < f->end;
}
