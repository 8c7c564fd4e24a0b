/* recipefiles: the files a recipe was read from, for -t ninja's generator edge, which rewrites the ninja file when
 * one of them changes. */
#ifndef SB_RECIPEFILES_H
#define SB_RECIPEFILES_H

struct recipe;
struct strv;

/* recipe_files: append file (the recipe as given), then every module in package.loaded that package.path finds,
 * sorted and without duplicates; a Lua error listing them is a warning. */
void recipe_files(struct recipe *r, const char *file, struct strv *out);

#endif
